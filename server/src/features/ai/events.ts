import type Redis from 'ioredis'
import { errorFields, type Logger } from '../../logger'
import { conversationTopic } from '../../realtime/hub'
import type { ServerEvent } from '../../realtime/protocol'

/**
 * Publishes to a conversation's sockets from outside an API process (the worker): the envelope the
 * realtime hub's Redis bridge relays, so every API instance delivers it to the members' sockets.
 */
export class ConversationEventBridge {
  readonly #origin = `worker:${crypto.randomUUID()}`

  constructor(private redis: Redis, private redisPrefix: string, private log: Logger) {}

  toConversation(conversationId: string, event: ServerEvent): void {
    const envelope = { origin: this.#origin, kind: 'topic', topic: conversationTopic(conversationId), data: JSON.stringify(event) }
    // @NOTE: a lost event must never fail the job; the transcript route still has the truth.
    this.redis.publish(`${this.redisPrefix}realtime`, JSON.stringify(envelope)).catch((error) => this.log.warn('toConversation() [redis publish failed]', errorFields(error)))
  }
}
