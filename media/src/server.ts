import type { Logger } from '../../server/src/logger'
import type { MediaConfig } from './config'
import { MediaError, notFound } from './errors'
import { Room, type Notify } from './room'
import { WorkerPool } from './workers'

export interface WorkerLoad {
  pid: number | null
  rooms: number
  peers: number
  consumers: number
}

export interface MediaLoad {
  rooms: number
  peers: number
  consumers: number
  workers: WorkerLoad[]
}

/** The media process' state: the worker pool and the room registry. */
export class MediaServer {
  readonly pool: WorkerPool
  readonly #rooms = new Map<string, Room>()
  readonly #creating = new Map<string, Promise<Room>>()
  readonly #config: MediaConfig
  readonly #logger: Logger
  readonly #notify: Notify
  #closed = false

  private constructor(pool: WorkerPool, config: MediaConfig, logger: Logger, notify: Notify) {
    this.pool = pool
    this.#config = config
    this.#logger = logger
    this.#notify = notify
    // Rooms on a dead worker close themselves (their router closes): peers get roomClosed with rejoin.
    pool.on('died', (slot, pid) => this.#logger.warn('died() [worker lost, rooms rejoin]', { slot: slot.index, pid, rooms: this.roomsOn(pid) }))
  }

  static async create(config: MediaConfig, logger: Logger, notify: Notify): Promise<MediaServer> {
    return new MediaServer(await WorkerPool.create(config, logger), config, logger, notify)
  }

  /** Idempotent: concurrent creates of one room share the same Room. */
  async createRoom(roomId: string): Promise<Room> {
    if (this.#closed) throw new MediaError('NO_WORKER', 'the media process is shutting down')
    const existing = this.#rooms.get(roomId)
    if (existing && !existing.closed) return existing
    let creating = this.#creating.get(roomId)
    if (!creating) {
      creating = Room.create({ id: roomId, pool: this.pool, config: this.#config, logger: this.#logger, notify: this.#notify })
        .then((room) => {
          this.#rooms.set(roomId, room)
          room.once('closed', () => {
            if (this.#rooms.get(roomId) === room) this.#rooms.delete(roomId)
          })
          return room
        })
        .finally(() => this.#creating.delete(roomId))
      this.#creating.set(roomId, creating)
    }
    return creating
  }

  room(roomId: string): Room {
    const room = this.#rooms.get(roomId)
    if (!room || room.closed) throw notFound.room(roomId)
    return room
  }

  get rooms(): Room[] {
    return [...this.#rooms.values()]
  }

  roomsOn(pid: number): string[] {
    return this.rooms.filter((room) => room.primaryWorkerPid === pid).map((room) => room.id)
  }

  load(): MediaLoad {
    const workers = this.pool.slots.map((slot) => ({
      pid: slot.worker?.pid ?? null,
      rooms: slot.worker ? this.rooms.filter((room) => room.slots.has(slot)).length : 0,
      peers: slot.peers,
      consumers: slot.consumers,
    }))
    return {
      rooms: this.#rooms.size,
      peers: workers.reduce((total, worker) => total + worker.peers, 0),
      consumers: workers.reduce((total, worker) => total + worker.consumers, 0),
      workers,
    }
  }

  /** Rooms get roomClosed (reason shutdown, rejoin: the API may place the call elsewhere), recordings finish, then workers stop. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    const rooms = this.rooms
    for (const room of rooms) room.close('shutdown', true)
    await Promise.all(rooms.map((room) => room.settled))
    this.pool.close()
  }
}
