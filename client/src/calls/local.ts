import { createStore, type SetStoreFunction } from 'solid-js/store'
import type { types } from 'mediasoup-client'
import type { RequestData, RequestName, ResponseData } from '../../../server/src/contracts/signaling'
import { openCamera, openMic, openScreen, saveDevices, savedDevices } from './devices'
import type { Source } from './remote'

type Request = <N extends RequestName>(name: N, data: RequestData<N>) => Promise<ResponseData<N>>

export interface LocalState {
  micOn: boolean
  cameraOn: boolean
  screenOn: boolean
  mic: MediaStreamTrack | null
  camera: MediaStreamTrack | null
  screen: MediaStreamTrack | null
  micId: string | null
  cameraId: string | null
}

// Three simulcast layers (180p, 360p, 720p): media picks one per receiver from its tile size and bandwidth.
const CAMERA_ENCODINGS = [
  { scaleResolutionDownBy: 4, maxBitrate: 150_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 2, maxBitrate: 500_000, scalabilityMode: 'L1T3' },
  { scaleResolutionDownBy: 1, maxBitrate: 1_200_000, scalabilityMode: 'L1T3' },
]

/**
 * This browser's tracks and producers. Tracks outlive transports: a rejoin produces the same
 * tracks again on the new send transport, keeping mute state.
 */
export class LocalMedia {
  readonly state: LocalState
  readonly #set: SetStoreFunction<LocalState>
  #producers = new Map<Source, types.Producer>()
  #transport: types.Transport | null = null
  #request: Request | null = null

  constructor(initial: { mic: boolean; camera: boolean }) {
    const saved = savedDevices()
    ;[this.state, this.#set] = createStore<LocalState>({ micOn: initial.mic, cameraOn: initial.camera, screenOn: false, mic: null, camera: null, screen: null, micId: saved.micId, cameraId: saved.cameraId })
  }

  /** Opens the devices the call starts with; a missing device leaves that source off rather than failing the call. */
  async open(): Promise<string[]> {
    const problems: string[] = []
    if (this.state.micOn) await openMic(this.state.micId).then((track) => this.#set('mic', track), () => (problems.push('microphone'), this.#set('micOn', false)))
    if (this.state.cameraOn) await openCamera(this.state.cameraId).then((track) => this.#set('camera', track), () => (problems.push('camera'), this.#set('cameraOn', false)))
    return problems
  }

  /** A (new) send transport: produce every live track on it. */
  async attach(transport: types.Transport, request: Request): Promise<void> {
    this.#producers.clear()
    this.#transport = transport
    this.#request = request
    if (this.state.mic) await this.#produce('mic', this.state.mic, !this.state.micOn)
    if (this.state.camera && this.state.cameraOn) await this.#produce('camera', this.state.camera, false)
    if (this.state.screen) await this.#produce('screen', this.state.screen, false)
  }

  detach(): void {
    this.#producers.clear()
    this.#transport = null
  }

  async setMic(on: boolean): Promise<void> {
    this.#set('micOn', on)
    if (!this.state.mic) {
      if (!on) return
      this.#set('mic', await openMic(this.state.micId))
      if (this.#transport) await this.#produce('mic', this.state.mic!, false)
      return
    }
    const producer = this.#producers.get('mic')
    if (!producer) return
    if (on) {
      producer.resume()
      await this.#request?.('resumeProducer', { producerId: producer.id })
    } else {
      producer.pause()
      await this.#request?.('pauseProducer', { producerId: producer.id })
    }
  }

  /** Camera off releases the device (its light goes out); on opens it again. */
  async setCamera(on: boolean): Promise<void> {
    if (on) {
      const track = await openCamera(this.state.cameraId)
      this.#set({ camera: track, cameraOn: true })
      if (this.#transport) await this.#produce('camera', track, false)
    } else {
      this.#set('cameraOn', false)
      await this.#closeProducer('camera')
      this.state.camera?.stop()
      this.#set('camera', null)
    }
  }

  async setScreen(on: boolean): Promise<void> {
    if (on) {
      const track = await openScreen()
      track.addEventListener('ended', () => void this.setScreen(false))
      this.#set({ screen: track, screenOn: true })
      if (this.#transport) await this.#produce('screen', track, false)
    } else {
      this.#set('screenOn', false)
      await this.#closeProducer('screen')
      this.state.screen?.stop()
      this.#set('screen', null)
    }
  }

  /** Device switch mid-call: the producer keeps its id, only its track changes. */
  async switchMic(deviceId: string): Promise<void> {
    this.#set('micId', deviceId)
    saveDevices({ micId: deviceId, cameraId: this.state.cameraId })
    if (!this.state.mic) return
    const track = await openMic(deviceId)
    const old = this.state.mic
    await this.#producers.get('mic')?.replaceTrack({ track })
    this.#set('mic', track)
    old.stop()
  }

  async switchCamera(deviceId: string): Promise<void> {
    this.#set('cameraId', deviceId)
    saveDevices({ micId: this.state.micId, cameraId: deviceId })
    if (!this.state.camera) return
    const old = this.state.camera
    const track = await openCamera(deviceId)
    await this.#producers.get('camera')?.replaceTrack({ track })
    this.#set('camera', track)
    old.stop()
  }

  producer(source: Source): types.Producer | undefined {
    return this.#producers.get(source)
  }

  stop(): void {
    for (const track of [this.state.mic, this.state.camera, this.state.screen]) track?.stop()
    this.detach()
    this.#set({ mic: null, camera: null, screen: null, screenOn: false })
  }

  async #produce(source: Source, track: MediaStreamTrack, paused: boolean): Promise<void> {
    const transport = this.#transport
    if (!transport) return
    const producer = await transport.produce({
      track,
      // The producer must not stop our track: it outlives this transport (rejoin) and device switches manage it.
      stopTracks: false,
      encodings: source === 'camera' ? CAMERA_ENCODINGS : undefined,
      codecOptions: source === 'camera' ? { videoGoogleStartBitrate: 1000 } : source === 'mic' ? { opusDtx: true, opusFec: true } : undefined,
      appData: source === 'screen' ? { source, contentHint: 'detail' } : { source },
      zeroRtpOnPause: source === 'mic',
    })
    if (this.#transport !== transport) return void producer.close()
    this.#producers.set(source, producer)
    if (paused) {
      producer.pause()
      await this.#request?.('pauseProducer', { producerId: producer.id })
    }
  }

  async #closeProducer(source: Source): Promise<void> {
    const producer = this.#producers.get(source)
    if (!producer) return
    this.#producers.delete(source)
    producer.close()
    await this.#request?.('closeProducer', { producerId: producer.id }).catch(() => undefined) // @NOTE: the peer may be mid-rejoin; the new transport never had it.
  }
}
