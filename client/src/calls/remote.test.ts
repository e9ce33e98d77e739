import { describe, expect, test } from 'bun:test'
import { isMuted, rateQuality, type RemotePeer } from './remote'

const peer = (producers: RemotePeer['producers']): RemotePeer => ({ peerId: 'p', displayName: 'P', producers, tracks: {}, consumers: {}, quality: 'unknown' })

describe('isMuted', () => {
  test('a source without a producer, or with only paused ones, is muted', () => {
    expect(isMuted(peer({}), 'mic')).toBe(true)
    expect(isMuted(peer({ a: { producerId: 'a', source: 'mic', paused: true } }), 'mic')).toBe(true)
    expect(isMuted(peer({ a: { producerId: 'a', source: 'mic', paused: false } }), 'mic')).toBe(false)
    expect(isMuted(peer({ a: { producerId: 'a', source: 'camera', paused: false } }), 'mic')).toBe(true)
  })
})

describe('rateQuality', () => {
  const clean = { packetLoss: 0, rttMs: 20, producerScore: 10, consumerScore: 10 }
  test('clean links are good; unknown RTT and scores do not count against a peer', () => {
    expect(rateQuality(clean)).toBe('good')
    expect(rateQuality({ packetLoss: 0, rttMs: null, producerScore: null, consumerScore: null })).toBe('good')
  })
  test('loss, round trip and scores each lower the rating', () => {
    expect(rateQuality({ ...clean, packetLoss: 0.05 })).toBe('fair')
    expect(rateQuality({ ...clean, packetLoss: 0.2 })).toBe('poor')
    expect(rateQuality({ ...clean, rttMs: 250 })).toBe('fair')
    expect(rateQuality({ ...clean, rttMs: 900 })).toBe('poor')
    expect(rateQuality({ ...clean, consumerScore: 6 })).toBe('fair')
    expect(rateQuality({ ...clean, producerScore: 2 })).toBe('poor')
  })
})
