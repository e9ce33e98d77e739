import { assertUnreachable, type SignalingRequest } from '../../server/src/contracts/signaling'
import { MediaError } from './errors'
import type { MediaServer } from './server'

export interface AddressedRequest {
  roomId: string
  peerId?: string
  request: SignalingRequest
}

/** A response, and work to run once it is on the wire (newConsumer notifications must follow the transport). */
export interface HandlerResult {
  data: unknown
  after?: () => Promise<void>
}

/** One request against the room registry; every lookup throws a typed MediaError. */
export async function handleRequest(server: MediaServer, { roomId, peerId, request }: AddressedRequest): Promise<HandlerResult> {
  if (request.name === 'createRoom') {
    const room = await server.createRoom(roomId)
    return { data: { roomId: room.id, rtpCapabilities: room.rtpCapabilities } }
  }
  const room = server.room(roomId)
  const peerOf = () => room.peer(peerId)
  switch (request.name) {
    case 'closeRoom':
      room.close('closed', false)
      return { data: {} }
    case 'getRouterRtpCapabilities':
      return { data: { rtpCapabilities: room.rtpCapabilities } }
    case 'join': {
      if (!peerId) throw new MediaError('INVALID_REQUEST', 'join needs a peerId')
      return { data: await room.join(peerId, request.data) }
    }
    case 'createWebRtcTransport':
    case 'createPlainTransport': {
      const peer = peerOf()
      const data = request.name === 'createWebRtcTransport' ? await peer.createWebRtcTransport(request.data) : await peer.createPlainTransport(request.data)
      const after = request.data.direction === 'recv' ? () => room.consumeAll(peer) : undefined
      return { data, after }
    }
    case 'connectTransport':
      await peerOf().connectTransport(request.data)
      return { data: {} }
    case 'connectPlainTransport':
      await peerOf().connectPlainTransport(request.data)
      return { data: {} }
    case 'restartIce':
      return { data: await peerOf().restartIce(request.data.transportId) }
    case 'produce': {
      const producer = await peerOf().produce(request.data)
      return { data: { producerId: producer.id } }
    }
    case 'closeProducer':
      peerOf().producer(request.data.producerId).close()
      return { data: {} }
    case 'pauseProducer':
    case 'resumeProducer':
      await room.setProducerPaused(peerOf(), request.data.producerId, request.name === 'pauseProducer')
      return { data: {} }
    case 'resumeConsumer': {
      const peer = peerOf()
      peer.consumer(request.data.consumerId)
      await peer.quality.setReady(request.data.consumerId)
      return { data: {} }
    }
    case 'setConsumerPreferences': {
      const peer = peerOf()
      const { consumerId, width, height, visible } = request.data
      peer.consumer(consumerId)
      await peer.quality.setPreferences(consumerId, width, height, visible)
      return { data: {} }
    }
    case 'getStats': {
      // A peer sees the room's stats; the API (no peerId) too.
      if (peerId) peerOf()
      return { data: await room.getStats() }
    }
    case 'leave':
      peerOf().close('left')
      return { data: {} }
    case 'startRecording':
      return { data: await room.startRecording(request.data) }
    case 'stopRecording':
      return { data: await room.stopRecording() }
    default:
      return assertUnreachable(request)
  }
}
