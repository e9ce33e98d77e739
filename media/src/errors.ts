import type { SignalingError, SignalingErrorCode } from '../../server/src/contracts/signaling'

/** What media code throws for a request it refuses; signaling.ts turns it into `{ ok: false, error }`. */
export class MediaError extends Error {
  override name = 'MediaError'
  constructor(readonly code: SignalingErrorCode, message: string, readonly details?: unknown) {
    super(message)
  }

  toSignalingError(): SignalingError {
    return { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) }
  }
}

export const notFound = {
  room: (roomId: string) => new MediaError('ROOM_NOT_FOUND', `room ${roomId} does not exist`),
  transport: (transportId: string) => new MediaError('TRANSPORT_NOT_FOUND', `transport ${transportId} is not one of this peer's`),
  producer: (producerId: string) => new MediaError('PRODUCER_NOT_FOUND', `producer ${producerId} is not one of this peer's`),
  consumer: (consumerId: string) => new MediaError('CONSUMER_NOT_FOUND', `consumer ${consumerId} is not one of this peer's`),
}

/**
 * mediasoup rejects bad parameters with TypeError (checked in JS) or a plain Error from the worker
 * channel; both are the caller's fault here, so they become the given typed code instead of INTERNAL.
 */
export async function asMediaError<T>(code: SignalingErrorCode, work: () => Promise<T>): Promise<T> {
  try {
    return await work()
  } catch (error) {
    if (error instanceof MediaError) throw error
    throw new MediaError(code, error instanceof Error ? error.message.slice(0, 300) : String(error))
  }
}
