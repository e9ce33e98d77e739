import { startPiped } from './processes'

/**
 * UDP sockets that are bound and never read, in a small python3 process: the kernel drops what does
 * not fit their (small) buffers. Consumers not in the counted sample send here, so receiving hundreds
 * of streams costs the benchmark's own process nothing and the shared cores stay with the workers.
 */
const SCRIPT = `
import socket, sys
sockets = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind(("127.0.0.1", 0))
    sockets.append(s)
print(" ".join(str(s.getsockname()[1]) for s in sockets), flush=True)
sys.stdin.read()
`

/** Answers the drain ports; the process ends with the benchmark (its stdin closes) or on cleanup(). */
export async function startRtpDrain(count: number): Promise<number[]> {
  const { child, stderrTail } = startPiped(['python3', '-c', SCRIPT, String(count)])
  const reader = child.stdout.getReader()
  let text = ''
  const deadline = Date.now() + 10_000
  while (!text.includes('\n')) {
    const next = await Promise.race([reader.read(), Bun.sleep(Math.max(0, deadline - Date.now())).then(() => null)])
    if (!next || next.done) throw new Error(`the RTP drain did not start: ${stderrTail()}`)
    text += new TextDecoder().decode(next.value)
  }
  reader.releaseLock()
  return text.trim().split(' ').map(Number)
}
