import { createHmac } from 'node:crypto'
import type { types } from 'mediasoup'
import type { MediaConfig } from './config'

/** What every room's router offers: Opus, VP8 (simulcast in browsers) and H264 baseline for Safari. */
export const MEDIA_CODECS: types.RtpCodecCapability[] = [
  { kind: 'audio', mimeType: 'audio/opus', clockRate: 48000, channels: 2 },
  { kind: 'video', mimeType: 'video/VP8', clockRate: 90000, parameters: { 'x-google-start-bitrate': 1000 } },
  {
    kind: 'video',
    mimeType: 'video/H264',
    clockRate: 90000,
    parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1, 'x-google-start-bitrate': 1000 },
  },
]

export interface IceServer {
  urls: string[]
  username?: string
  credential?: string
}

/**
 * STUN as configured, and TURN with credentials minted for this peer (coturn's TURN REST API:
 * username `<expiry>:<peerId>`, password base64(HMAC-SHA1(secret, username))), valid TURN_TTL_SECONDS.
 */
export function iceServersFor(config: MediaConfig, peerId: string, nowMs = Date.now()): IceServer[] {
  const servers: IceServer[] = []
  if (config.stunUrls.length) servers.push({ urls: config.stunUrls })
  if (config.turn) {
    const username = `${Math.floor(nowMs / 1000) + config.turn.ttlSeconds}:${peerId}`
    const credential = createHmac('sha1', config.turn.secret).update(username).digest('base64')
    servers.push({ urls: config.turn.urls, username, credential })
  }
  return servers
}
