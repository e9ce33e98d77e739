import { and, eq, isNull } from 'drizzle-orm'
import type { Tx } from '../../db/client'
import { webhookDeliveries, webhooks } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { errorFields, type Logger } from '../../logger'
import type { SendHook, SentMessage } from '../messages/service'
import type { WebhookEvent } from './model'
import type { DeliveryQueue } from './queue'
import { deliveryPayload } from './service'

type AfterCommit = Parameters<SendHook['onSent']>[1]

/**
 * The send hook: records one delivery per enabled, subscribed webhook of the channel's workspace in
 * the send transaction, and queues them once it committed. DMs, groups and lounges never leave.
 */
export class WebhookDispatcher implements SendHook {
  constructor(private queue: DeliveryQueue, private log: Logger) {}

  onSent(tx: Tx, afterCommit: AfterCommit, { message, conversation }: SentMessage): void {
    this.#record(tx, afterCommit, message.parentId ? 'thread.replied' : 'message.created', { message, conversation })
  }

  onChanged(tx: Tx, afterCommit: AfterCommit, change: SentMessage & { kind: 'updated' | 'deleted' }): void {
    this.#record(tx, afterCommit, change.kind === 'updated' ? 'message.updated' : 'message.deleted', change)
  }

  #record(tx: Tx, afterCommit: AfterCommit, event: WebhookEvent, { message, conversation }: SentMessage): void {
    if (conversation.kind !== 'channel' || !conversation.workspaceId) return
    const subscribed = tx
      .select({ id: webhooks.id, events: webhooks.events })
      .from(webhooks)
      .where(and(eq(webhooks.workspaceId, conversation.workspaceId), isNull(webhooks.disabledAt)))
      .all()
      .filter((hook) => hook.events.includes(event))
    if (subscribed.length === 0) return
    const data = {
      message: { id: message.id, conversationId: message.conversationId, seq: message.seq, senderId: message.senderId, type: message.type, content: message.content, parentId: message.parentId, mentions: message.mentions, createdAt: message.createdAt.toISOString() },
      conversation: { id: conversation.id, kind: conversation.kind, name: conversation.name, isPrivate: conversation.isPrivate },
    }
    const rows = subscribed.map((hook) => {
      const id = newId()
      const at = message.deletedAt ?? message.editedAt ?? message.createdAt
      return { id, webhookId: hook.id, event, payload: deliveryPayload(id, event, conversation.workspaceId!, data, at), status: 'pending' as const, createdAt: at }
    })
    tx.insert(webhookDeliveries).values(rows).run()
    const ids = rows.map((row) => row.id)
    afterCommit(() => this.queue.enqueue(ids).catch((error) => this.log.error('record() [enqueue failed]', { deliveryIds: ids, ...errorFields(error) })))
  }
}
