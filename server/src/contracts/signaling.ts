import { t, type Static, type TSchema } from 'elysia'
import { Value } from '@sinclair/typebox/value'

/**
 * Call signaling between the browser, the API and the media process (docs/CALLS.md is the prose).
 * One table of requests (name → data schema, response schema) and one of notifications; the API and
 * media validate with these same schemas, the client imports the types. Names are stable.
 *
 * The browser sends `{ name, data }`; the API checks the caller may act in the call, then relays it
 * to media as `{ id, roomId, peerId, request: { name, data } }`: the addressing comes from the API,
 * never from the browser. Media answers `{ id, ok: true, data }` or `{ id, ok: false, error }` and
 * pushes `{ roomId, peerId, notification: { name, data } }` (peerId null = every peer of the room).
 */

const Id = t.String({ minLength: 1, maxLength: 64 })
const Json = t.Record(t.String(), t.Unknown())

export const MediaKind = t.Union([t.Literal('audio'), t.Literal('video')])
export const MediaSource = t.Union([t.Literal('mic'), t.Literal('camera'), t.Literal('screen')])
export const Direction = t.Union([t.Literal('send'), t.Literal('recv')])
/** The degradation ladder a receiver walks down when its bandwidth or score drops (quality.ts). */
export const QualityStep = t.Union([t.Literal('720p'), t.Literal('360p'), t.Literal('180p'), t.Literal('audio-only')])

// Structural schemas of mediasoup's types: strict where media relies on a field, open for codec detail.
const RtpCodec = t.Object({
  mimeType: t.String({ minLength: 3, maxLength: 64 }),
  payloadType: t.Optional(t.Integer({ minimum: 0, maximum: 127 })),
  preferredPayloadType: t.Optional(t.Integer({ minimum: 0, maximum: 127 })),
  clockRate: t.Integer({ minimum: 1 }),
  channels: t.Optional(t.Integer({ minimum: 1, maximum: 8 })),
  kind: t.Optional(MediaKind),
  parameters: t.Optional(Json),
  rtcpFeedback: t.Optional(t.Array(Json, { maxItems: 32 })),
})
export const RtpCapabilities = t.Object({
  codecs: t.Array(RtpCodec, { maxItems: 64 }),
  headerExtensions: t.Optional(t.Array(Json, { maxItems: 64 })),
})
export const RtpParameters = t.Object({
  mid: t.Optional(t.String({ maxLength: 32 })),
  codecs: t.Array(RtpCodec, { minItems: 1, maxItems: 16 }),
  headerExtensions: t.Optional(t.Array(Json, { maxItems: 32 })),
  encodings: t.Optional(t.Array(Json, { maxItems: 8 })),
  rtcp: t.Optional(Json),
})
export const DtlsParameters = t.Object({
  role: t.Optional(t.Union([t.Literal('auto'), t.Literal('client'), t.Literal('server')])),
  fingerprints: t.Array(t.Object({ algorithm: t.String({ minLength: 1, maxLength: 16 }), value: t.String({ minLength: 1, maxLength: 256 }) }), { minItems: 1, maxItems: 8 }),
})
export const IceServer = t.Object({
  urls: t.Array(t.String({ maxLength: 512 })),
  username: t.Optional(t.String()),
  credential: t.Optional(t.String()),
})
const Device = t.Object({ name: t.String({ maxLength: 64 }), version: t.Optional(t.String({ maxLength: 32 })), flag: t.Optional(t.String({ maxLength: 32 })) }, { additionalProperties: false })
const Strict = { additionalProperties: false } as const
const Empty = t.Object({}, Strict)

export const PeerInfo = t.Object({
  peerId: Id,
  displayName: t.String(),
  device: Device,
  producers: t.Array(t.Object({ producerId: Id, kind: MediaKind, source: MediaSource, paused: t.Boolean() })),
})
export const PeerStats = t.Object({
  peerId: Id,
  /** Bits per second the peer sends (all producers) and receives (all consumers). */
  sendBitrate: t.Number(),
  recvBitrate: t.Number(),
  /** Fraction 0..1 of packets lost on the way to media (its producers) in the last report. */
  packetLoss: t.Number(),
  /** Round-trip time in ms from RTCP, null until known. */
  rttMs: t.Union([t.Number(), t.Null()]),
  /** Lowest producer and consumer score (0..10, 10 = perfect). */
  producerScore: t.Union([t.Number(), t.Null()]),
  consumerScore: t.Union([t.Number(), t.Null()]),
  quality: QualityStep,
  availableBitrate: t.Union([t.Number(), t.Null()]),
  consumers: t.Array(t.Object({ consumerId: Id, kind: MediaKind, packetCount: t.Number(), byteCount: t.Number(), score: t.Union([t.Number(), t.Null()]), paused: t.Boolean(), spatialLayer: t.Union([t.Number(), t.Null()]) })),
  producers: t.Array(t.Object({ producerId: Id, kind: MediaKind, source: MediaSource, packetCount: t.Number(), byteCount: t.Number(), score: t.Union([t.Number(), t.Null()]) })),
})

/**
 * Every request: `data` is what the sender gives, `response` what media answers. `api` = only the
 * API itself may send it (the relay refuses it from a browser); the rest are the browser's.
 */
export const SIGNALING_REQUESTS = {
  /** Idempotent: an existing room answers with its capabilities. */
  createRoom: { api: true, data: t.Object({ maxPeers: t.Optional(t.Integer({ minimum: 1, maximum: 1000 })) }, Strict), response: t.Object({ roomId: Id, rtpCapabilities: RtpCapabilities }) },
  closeRoom: { api: true, data: t.Object({ reason: t.Optional(t.String({ maxLength: 64 })) }, Strict), response: Empty },
  getRouterRtpCapabilities: { api: false, data: Empty, response: t.Object({ rtpCapabilities: RtpCapabilities }) },
  /** The first peer request; a second join with the same peerId replaces the old peer (a reload). */
  join: { api: false, data: t.Object({ displayName: t.String({ minLength: 1, maxLength: 100 }), rtpCapabilities: RtpCapabilities, device: Device }, Strict), response: t.Object({ peers: t.Array(PeerInfo), activeSpeakerPeerId: t.Union([Id, t.Null()]) }) },
  createWebRtcTransport: {
    api: false,
    data: t.Object({ direction: Direction, forceTcp: t.Optional(t.Boolean()) }, Strict),
    response: t.Object({ transportId: Id, iceParameters: Json, iceCandidates: t.Array(Json), dtlsParameters: DtlsParameters, iceServers: t.Array(IceServer) }),
  },
  /** For server-side participants (AI, tests, recording tools): RTP over UDP, no ICE/DTLS. */
  createPlainTransport: {
    api: true,
    data: t.Object({ direction: Direction, comedia: t.Optional(t.Boolean()), rtcpMux: t.Optional(t.Boolean()) }, Strict),
    response: t.Object({ transportId: Id, ip: t.String(), port: t.Integer(), rtcpPort: t.Union([t.Integer(), t.Null()]) }),
  },
  connectPlainTransport: { api: true, data: t.Object({ transportId: Id, ip: t.String({ minLength: 1, maxLength: 64 }), port: t.Integer({ minimum: 1, maximum: 65535 }), rtcpPort: t.Optional(t.Integer({ minimum: 1, maximum: 65535 })) }, Strict), response: Empty },
  connectTransport: { api: false, data: t.Object({ transportId: Id, dtlsParameters: DtlsParameters }, Strict), response: Empty },
  restartIce: { api: false, data: t.Object({ transportId: Id }, Strict), response: t.Object({ iceParameters: Json }) },
  produce: {
    api: false,
    data: t.Object({ transportId: Id, kind: MediaKind, rtpParameters: RtpParameters, appData: t.Object({ source: MediaSource, contentHint: t.Optional(t.String({ maxLength: 16 })) }, Strict) }, Strict),
    response: t.Object({ producerId: Id }),
  },
  closeProducer: { api: false, data: t.Object({ producerId: Id }, Strict), response: Empty },
  /** Mute / unmute: every other peer gets producerPaused / producerResumed. */
  pauseProducer: { api: false, data: t.Object({ producerId: Id }, Strict), response: Empty },
  resumeProducer: { api: false, data: t.Object({ producerId: Id }, Strict), response: Empty },
  /** Consumers arrive paused with `newConsumer`; the client resumes each once its track is ready. */
  resumeConsumer: { api: false, data: t.Object({ consumerId: Id }, Strict), response: Empty },
  /** The size a tile is drawn at (CSS px × devicePixelRatio) and whether it is on screen; media picks the layer. */
  setConsumerPreferences: {
    api: false,
    data: t.Object({ consumerId: Id, width: t.Integer({ minimum: 0, maximum: 8192 }), height: t.Integer({ minimum: 0, maximum: 8192 }), visible: t.Boolean() }, Strict),
    response: Empty,
  },
  getStats: { api: false, data: Empty, response: t.Object({ peers: t.Array(PeerStats) }) },
  leave: { api: false, data: Empty, response: Empty },
  /**
   * The API checks who may record; media records every producer, also those appearing later, and mixes them into
   * DATA_DIR/recordings/<roomId>-<recordingId>.webm. waitForMedia: start even when nobody sends yet (a call started recorded).
   */
  startRecording: { api: true, data: t.Object({ waitForMedia: t.Optional(t.Boolean()) }, Strict), response: t.Object({ recordingId: Id, path: t.String() }) },
  /** Answers once the segments are finished (bytes: theirs); `recordingStopped` follows when the mixed file is written. */
  stopRecording: { api: true, data: Empty, response: t.Object({ recordingId: Id, path: t.String(), bytes: t.Integer(), durationMs: t.Integer() }) },
} as const satisfies Record<string, { api: boolean; data: TSchema; response: TSchema }>

export const SIGNALING_NOTIFICATIONS = {
  /** To one peer: a paused consumer to wire into its recv transport, then `resumeConsumer`. */
  newConsumer: t.Object({
    consumerId: Id,
    producerId: Id,
    producerPeerId: Id,
    kind: MediaKind,
    source: MediaSource,
    rtpParameters: RtpParameters,
    type: t.String(),
    producerPaused: t.Boolean(),
  }),
  consumerClosed: t.Object({ consumerId: Id, reason: t.Union([t.Literal('producer-closed'), t.Literal('transport-closed')]) }),
  /** Room-wide: a peer muted or unmuted one of its producers. */
  producerPaused: t.Object({ peerId: Id, producerId: Id, source: MediaSource }),
  producerResumed: t.Object({ peerId: Id, producerId: Id, source: MediaSource }),
  /** Room-wide; peerId null when nobody is speaking. volume in dBov (-127..0). */
  activeSpeaker: t.Object({ peerId: t.Union([Id, t.Null()]), volume: t.Union([t.Number(), t.Null()]) }),
  peerJoined: t.Object({ peerId: Id, displayName: t.String(), device: Device }),
  peerLeft: t.Object({ peerId: Id, reason: t.Union([t.Literal('left'), t.Literal('timeout'), t.Literal('replaced'), t.Literal('link-lost')]) }),
  /** To one receiving peer: its ladder step changed (down quickly, up only after sustained recovery). */
  qualityChanged: t.Object({ step: QualityStep, previous: QualityStep, availableBitrate: t.Union([t.Number(), t.Null()]), score: t.Union([t.Number(), t.Null()]) }),
  /** Room-wide. rejoin = true: the room is gone but the call is not (worker died): join again. */
  roomClosed: t.Object({ reason: t.Union([t.Literal('closed'), t.Literal('worker-died'), t.Literal('shutdown')]), rejoin: t.Boolean() }),
  recordingStarted: t.Object({ recordingId: Id, path: t.String() }),
  /** Room-wide; the API owns the file from here (transcription job, storage). */
  recordingStopped: t.Object({ recordingId: Id, path: t.String(), bytes: t.Integer(), durationMs: t.Integer(), reason: t.Union([t.Literal('stopped'), t.Literal('room-closed'), t.Literal('failed')]) }),
} as const satisfies Record<string, TSchema>

export type RequestName = keyof typeof SIGNALING_REQUESTS
export type RequestData<N extends RequestName> = Static<(typeof SIGNALING_REQUESTS)[N]['data']>
export type ResponseData<N extends RequestName> = Static<(typeof SIGNALING_REQUESTS)[N]['response']>
export type NotificationName = keyof typeof SIGNALING_NOTIFICATIONS
export type NotificationData<N extends NotificationName> = Static<(typeof SIGNALING_NOTIFICATIONS)[N]>

/** The discriminated unions: switch on `name`, end with assertUnreachable. */
export type SignalingRequest = { [N in RequestName]: { name: N; data: RequestData<N> } }[RequestName]
export type SignalingNotification = { [N in NotificationName]: { name: N; data: NotificationData<N> } }[NotificationName]

export const REQUEST_NAMES = Object.keys(SIGNALING_REQUESTS) as RequestName[]
/** What the API may relay from a browser; anything else from a browser is FORBIDDEN. */
export const CLIENT_REQUEST_NAMES = REQUEST_NAMES.filter((name) => !SIGNALING_REQUESTS[name].api)

export const SIGNALING_ERROR_CODES = [
  'INVALID_REQUEST', // malformed frame or data failing its schema
  'UNKNOWN_REQUEST',
  'FORBIDDEN', // a browser sent an api-only request (API side)
  'ROOM_NOT_FOUND',
  'ROOM_FULL',
  'PEER_NOT_JOINED', // transports, produce, resume… before join
  'TRANSPORT_NOT_FOUND',
  'WRONG_DIRECTION', // produce on a recv transport, or a second transport for one direction
  'PRODUCER_NOT_FOUND',
  'CONSUMER_NOT_FOUND',
  'DTLS_FAILED', // connectTransport with dtlsParameters mediasoup refuses
  'UNSUPPORTED_MEDIA', // rtpParameters or rtpCapabilities mediasoup cannot use
  'RECORDING_ACTIVE',
  'RECORDING_NOT_ACTIVE',
  'RECORDING_FAILED',
  'NO_WORKER', // every worker is down (restarting)
  'MEDIA_UNAVAILABLE', // API side: no media process reachable
  'TIMEOUT', // API side: media did not answer in time
  'INTERNAL',
] as const
export type SignalingErrorCode = (typeof SIGNALING_ERROR_CODES)[number]
export interface SignalingError {
  code: SignalingErrorCode
  message: string
  details?: unknown
}

/** Frames on the API ⇄ media channel. */
export interface MediaRequestFrame {
  id: number
  roomId: string
  /** Absent for room-level requests (createRoom, closeRoom, recording, getStats from the API). */
  peerId?: string
  request: SignalingRequest
}
export type MediaResponseFrame = { id: number; ok: true; data: unknown } | { id: number; ok: false; error: SignalingError }
export interface MediaNotificationFrame {
  roomId: string
  /** null: for every peer of the room (and for the API itself: recordingStopped, roomClosed). */
  peerId: string | null
  notification: SignalingNotification
}

const RequestEnvelope = t.Object({ name: t.String({ minLength: 1, maxLength: 64 }), data: t.Optional(t.Unknown()) }, Strict)

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: SignalingError }

/** Validates `{ name, data }` against the request table: what the API does for a browser and media for the API. */
export function parseSignalingRequest(raw: unknown): Parsed<SignalingRequest> {
  if (!Value.Check(RequestEnvelope, raw)) return invalid('request must be { name, data }', RequestEnvelope, raw)
  const entry = (SIGNALING_REQUESTS as Record<string, { data: TSchema } | undefined>)[raw.name]
  if (!entry || !Object.hasOwn(SIGNALING_REQUESTS, raw.name)) return { ok: false, error: { code: 'UNKNOWN_REQUEST', message: `unknown request ${raw.name.slice(0, 64)}` } }
  const data = raw.data ?? {}
  if (!Value.Check(entry.data, data)) return invalid(`invalid data for ${raw.name}`, entry.data, data)
  return { ok: true, value: { name: raw.name, data } as SignalingRequest }
}

function invalid(message: string, schema: TSchema, value: unknown): { ok: false; error: SignalingError } {
  const details = [...Value.Errors(schema, value)].slice(0, 5).map((issue) => ({ field: issue.path.replace(/^\//, '').replace(/\//g, '.') || null, message: issue.message }))
  return { ok: false, error: { code: 'INVALID_REQUEST', message, details } }
}

export function assertUnreachable(value: never): never {
  throw new Error(`unreachable: ${JSON.stringify(value)}`)
}
