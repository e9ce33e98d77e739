import type { types } from 'mediasoup'
import { MEDIA_CODECS } from './codecs'
import type { WorkerPool, WorkerSlot } from './workers'

export interface PlacedRouter {
  router: types.Router
  slot: WorkerSlot
  /** The worker the router lives on: a slot's counters only move while that worker is still the slot's. */
  worker: types.Worker
  peers: number
}

/**
 * A room's routers: the first on the least-loaded worker, more on other workers once one holds
 * `maxPeersPerRouter` peers, producers piped between them on demand; and the load they put on the pool.
 */
export class RoomRouters {
  readonly #pool: WorkerPool
  readonly #maxPeersPerRouter: number
  readonly #onRouterClosed: () => void
  readonly #placed: PlacedRouter[]
  readonly #pipes = new Map<string, Promise<void>>()
  #closed = false

  private constructor(pool: WorkerPool, maxPeersPerRouter: number, primary: PlacedRouter, onRouterClosed: () => void) {
    this.#pool = pool
    this.#maxPeersPerRouter = maxPeersPerRouter
    this.#onRouterClosed = onRouterClosed
    this.#placed = [primary]
    primary.router.observer.once('close', onRouterClosed)
  }

  /** `onRouterClosed`: a router closed under the room (its worker died); the room cannot go on as it is. */
  static async create(pool: WorkerPool, maxPeersPerRouter: number, onRouterClosed: () => void): Promise<RoomRouters> {
    return new RoomRouters(pool, maxPeersPerRouter, await placeRouter(pool, new Set()), onRouterClosed)
  }

  /** Active speaker detection and recording happen here. */
  get primary(): types.Router {
    return this.#placed[0]!.router
  }

  get primaryWorkerPid(): number {
    return this.#placed[0]!.worker.pid
  }

  get slots(): Set<WorkerSlot> {
    return new Set(this.#placed.map((placed) => placed.slot))
  }

  /** A router with room for one more peer, spreading to another worker when all are full. */
  async forNewPeer(): Promise<PlacedRouter> {
    const roomy = this.#placed.find((placed) => placed.peers < this.#maxPeersPerRouter && !placed.router.closed)
    if (roomy) return roomy
    const placed = await placeRouter(this.#pool, this.slots)
    if (this.#closed) {
      placed.router.close()
      return placed
    }
    this.#placed.push(placed)
    placed.router.observer.once('close', this.#onRouterClosed)
    return placed
  }

  admit(placed: PlacedRouter): void {
    placed.peers++
    if (placed.slot.worker === placed.worker) placed.slot.peers++
  }

  release(placed: PlacedRouter): void {
    placed.peers = Math.max(0, placed.peers - 1)
    if (placed.slot.worker === placed.worker) placed.slot.peers = Math.max(0, placed.slot.peers - 1)
  }

  /** Counts a consumer toward its worker's load while it lives. */
  track(router: types.Router, consumer: types.Consumer): void {
    const placed = this.#placed.find((candidate) => candidate.router === router)
    if (!placed || placed.slot.worker !== placed.worker) return
    placed.slot.consumers++
    consumer.observer.once('close', () => {
      if (placed.slot.worker === placed.worker) placed.slot.consumers = Math.max(0, placed.slot.consumers - 1)
    })
  }

  /** Makes a producer available on another router of this room, once per (producer, router). */
  async pipe(producer: types.Producer, from: types.Router, target: types.Router): Promise<void> {
    if (from === target) return
    const key = `${producer.id}:${target.id}`
    let piping = this.#pipes.get(key)
    if (!piping) {
      piping = from.pipeToRouter({ producerId: producer.id, router: target }).then(
        () => undefined,
        (error: unknown) => {
          this.#pipes.delete(key)
          throw error
        },
      )
      this.#pipes.set(key, piping)
      producer.observer.once('close', () => this.#pipes.delete(key))
    }
    await piping
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    for (const placed of this.#placed) {
      placed.router.observer.off('close', this.#onRouterClosed)
      if (placed.slot.worker === placed.worker) {
        placed.slot.routers = Math.max(0, placed.slot.routers - 1)
        placed.slot.peers = Math.max(0, placed.slot.peers - placed.peers)
      }
      placed.router.close()
    }
  }
}

async function placeRouter(pool: WorkerPool, exclude: ReadonlySet<WorkerSlot>): Promise<PlacedRouter> {
  const slot = pool.leastLoaded(exclude)
  const worker = slot.worker!
  const router = await worker.createRouter({ mediaCodecs: MEDIA_CODECS })
  slot.routers++
  return { router, slot, worker, peers: 0 }
}
