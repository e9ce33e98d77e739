// Test helpers: a real media process (child process, own port, own DATA_DIR), a channel client,
// ffmpeg feeding RTP into plain transports and a UDP socket counting what comes back.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { Subprocess } from 'bun'
import type { MediaNotificationFrame, NotificationData, NotificationName, RequestData } from '../../server/src/contracts/signaling'
import { freePort } from '../../scripts/lib/ports'
import { MediaLink } from './link'

export const SECRET = 'test-media-secret-0123456789'
const ROOT = resolve(import.meta.dir, '../..')

export interface StartedMedia {
  url: string
  httpUrl: string
  dataDir: string
  process: Subprocess
  output: () => string
  stop: () => Promise<void>
}

/** Starts `bun media/src/index.ts` and waits for its /health. */
export async function startMedia(env: Record<string, string> = {}): Promise<StartedMedia> {
  const port = await freePort()
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-media-'))
  let output = ''
  const child = Bun.spawn([process.execPath, join(ROOT, 'media/src/index.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', MEDIA_PORT: String(port), MEDIA_SECRET: SECRET, MEDIA_WORKERS: '2', DATA_DIR: dataDir, LOG_LEVEL: process.env.MEDIA_TEST_OUTPUT ? 'debug' : 'warn', ...env },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  for (const stream of [child.stdout, child.stderr]) {
    void (async () => {
      for await (const chunk of stream) output += new TextDecoder().decode(chunk)
    })()
  }
  const httpUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  while (true) {
    if (child.exitCode !== null) throw new Error(`media exited early: ${output}`)
    try {
      if ((await fetch(`${httpUrl}/health`)).ok) break
    } catch {
      // @NOTE: not listening yet.
    }
    if (Date.now() > deadline) throw new Error(`media did not start: ${output}`)
    await Bun.sleep(100)
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    httpUrl,
    dataDir,
    process: child,
    output: () => output,
    stop: async () => {
      // MEDIA_TEST_OUTPUT=1 prints what the media process logged, to debug a failing test.
      if (process.env.MEDIA_TEST_OUTPUT) console.error(output)
      child.kill('SIGTERM')
      await Promise.race([child.exited, Bun.sleep(10_000)])
      if (child.exitCode === null) child.kill('SIGKILL')
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** A channel client that also records every notification, for waiting on them. */
export class TestLink {
  readonly notifications: MediaNotificationFrame[] = []
  readonly #waiters: Array<() => void> = []

  private constructor(readonly link: MediaLink) {
    link.on('notification', (frame) => {
      this.notifications.push(frame)
      for (const waiter of this.#waiters.splice(0)) waiter()
    })
  }

  static async connect(url: string, secret = SECRET): Promise<TestLink> {
    return new TestLink(await MediaLink.connect({ url, secret, requestTimeoutMs: 15_000 }))
  }

  /** Resolves with the first notification (past or future) matching; rejects after timeoutMs. */
  async waitFor<N extends NotificationName>(name: N, match: (frame: MediaNotificationFrame & { notification: { data: NotificationData<N> } }) => boolean = () => true, timeoutMs = 15_000): Promise<NotificationData<N>> {
    const deadline = Date.now() + timeoutMs
    while (true) {
      const found = this.notifications.find((frame) => frame.notification.name === name && match(frame as never))
      if (found) return found.notification.data as NotificationData<N>
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error(`no ${name} notification within ${timeoutMs} ms; got ${this.notifications.map((frame) => frame.notification.name).join(', ')}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining)
        this.#waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  close(): void {
    this.link.close()
  }
}

export const AUDIO_SSRC = 11111111
export const VIDEO_SSRC = 22222222

/** rtpParameters matching what `feedFfmpeg` sends. */
export function ffmpegRtpParameters(kind: 'audio' | 'video'): RequestData<'produce'>['rtpParameters'] {
  return kind === 'audio'
    ? { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2, parameters: { 'sprop-stereo': 1 } }], encodings: [{ ssrc: AUDIO_SSRC }] }
    : { codecs: [{ mimeType: 'video/VP8', payloadType: 101, clockRate: 90000 }], encodings: [{ ssrc: VIDEO_SSRC }] }
}

/**
 * ffmpeg generating a 440 Hz tone (Opus) or the test pattern (VP8) as RTP to a comedia plain transport
 * created with `rtcpMux: false`: ffmpeg sends RTCP from another socket than RTP, so the transport must
 * learn the two tuples apart (with rtcp-mux the first RTCP packet would pin the tuple and RTP be dropped).
 */
export function feedFfmpeg(kind: 'audio' | 'video', transport: { ip: string; port: number; rtcpPort: number | null }, frequency = 440): Subprocess {
  return Bun.spawn(ffmpegCommand(kind, transport, frequency), { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore' })
}

/** `frequency`: the tone's pitch, so a test can tell two audio producers apart in a mix. */
export function ffmpegCommand(kind: 'audio' | 'video', { ip, port, rtcpPort }: { ip: string; port: number; rtcpPort: number | null }, frequency = 440): string[] {
  const target = `rtp://${ip}:${port}?rtcpport=${rtcpPort ?? port}&pkt_size=1200`
  const args = kind === 'audio'
    ? ['-f', 'lavfi', '-i', `sine=frequency=${frequency}:sample_rate=48000`, '-c:a', 'libopus', '-ac', '2', '-b:a', '64k', '-payload_type', '100', '-ssrc', String(AUDIO_SSRC)]
    : ['-f', 'lavfi', '-i', 'testsrc=size=320x180:rate=15', '-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-g', '10', '-pix_fmt', 'yuv420p', '-payload_type', '101', '-ssrc', String(VIDEO_SSRC)]
  // -t: a feeder orphaned by a crashed test run stops on its own after 10 minutes.
  return ['ffmpeg', '-hide_banner', '-loglevel', 'error', '-re', ...args, '-t', '600', '-f', 'rtp', target]
}

/** A UDP socket counting RTP packets per payload type and per SSRC (each consumer sends its own SSRC). */
export async function rtpReceiver(): Promise<{ port: number; count: (payloadType?: number) => number; bySsrc: () => Map<number, number>; close: () => void }> {
  const counts = new Map<number, number>()
  const ssrcs = new Map<number, number>()
  const socket = await Bun.udpSocket({
    hostname: '127.0.0.1',
    socket: {
      data(_socket, buffer) {
        if (buffer.length < 12 || buffer[0]! >> 6 !== 2) return
        const payloadType = buffer[1]! & 0x7f
        // RTCP shares the port (rtcp-mux): payload types 72–76 are its packet types with the marker bit.
        if (payloadType >= 72 && payloadType <= 76) return
        counts.set(payloadType, (counts.get(payloadType) ?? 0) + 1)
        const ssrc = buffer.readUInt32BE(8)
        ssrcs.set(ssrc, (ssrcs.get(ssrc) ?? 0) + 1)
      },
    },
  })
  return {
    port: socket.port,
    count: (payloadType) => (payloadType === undefined ? [...counts.values()].reduce((a, b) => a + b, 0) : (counts.get(payloadType) ?? 0)),
    bySsrc: () => new Map(ssrcs),
    close: () => socket.close(),
  }
}

export const DEVICE = { name: 'test', version: '1' }

/** Polls `check` until it holds; fails with the last value after timeoutMs. */
export async function eventually<T>(read: () => Promise<T> | T, check: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let value = await read()
  while (!check(value)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value ${JSON.stringify(value)}`)
    await Bun.sleep(100)
    value = await read()
  }
  return value
}
