import { and, eq, isNull } from 'drizzle-orm'
import type { Tx } from '../../db/client'
import { webhookDeliveries, webhooks } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { errorFields, type Logger } from '../../logger'
import type { SendHook, SentMessage } from '../messages/service'
import type { ActivityHook, WorkspaceActivity } from '../workspaces/activity'
import type { WebhookEvent } from './model'
import { activityData, activityWorkspace, messageData } from './payloads'
import type { DeliveryQueue } from './queue'
import { deliveryPayload } from './service'

type AfterCommit = Parameters<SendHook['onSent']>[1]
type HookRow = Pick<typeof webhooks.$inferSelect, 'id' | 'events' | 'includeBotMessages'>

/**
 * The send and activity hook: records one delivery per enabled, subscribed webhook of the workspace
 * in the transaction of the change, and queues them once it committed. Messages leave only from
 * channels (DMs, groups and lounges never do); messages the workspace's own incoming webhooks posted
 * only go to webhooks that ask for them (`includeBotMessages`), so a bot answering a hook cannot loop.
 */
export class WebhookDispatcher implements SendHook, ActivityHook {
  constructor(private queue: DeliveryQueue, private log: Logger) {}

  onSent(tx: Tx, afterCommit: AfterCommit, sent: SentMessage): void {
    this.#message(tx, afterCommit, sent.message.parentId ? 'thread.replied' : 'message.created', sent)
  }

  onChanged(tx: Tx, afterCommit: AfterCommit, change: SentMessage & { kind: 'updated' | 'deleted' }): void {
    this.#message(tx, afterCommit, change.kind === 'updated' ? 'message.updated' : 'message.deleted', change)
  }

  onActivity(tx: Tx, afterCommit: AfterCommit, activity: WorkspaceActivity): void {
    const workspaceId = activityWorkspace(activity)
    if (!workspaceId) return
    this.#record(tx, afterCommit, workspaceId, activity.type, () => activityData(tx, activity), new Date())
  }

  #message(tx: Tx, afterCommit: AfterCommit, event: WebhookEvent, sent: SentMessage): void {
    const { message, conversation } = sent
    if (conversation.kind !== 'channel' || !conversation.workspaceId) return
    const fromBot = message.bot !== null
    const at = message.deletedAt ?? message.editedAt ?? message.createdAt
    this.#record(tx, afterCommit, conversation.workspaceId, event, () => messageData(sent), at, (hook) => !fromBot || hook.includeBotMessages)
  }

  /** `data` is built only when some webhook subscribes. */
  #record(tx: Tx, afterCommit: AfterCommit, workspaceId: string, event: WebhookEvent, data: () => Record<string, unknown>, at: Date, accepts: (hook: HookRow) => boolean = () => true): void {
    const subscribed = tx
      .select({ id: webhooks.id, events: webhooks.events, includeBotMessages: webhooks.includeBotMessages })
      .from(webhooks)
      .where(and(eq(webhooks.workspaceId, workspaceId), isNull(webhooks.disabledAt)))
      .all()
      .filter((hook) => hook.events.includes(event) && accepts(hook))
    if (subscribed.length === 0) return
    const body = data()
    const rows = subscribed.map((hook) => {
      const id = newId()
      return { id, webhookId: hook.id, event, payload: deliveryPayload(id, event, workspaceId, body, at), status: 'pending' as const, createdAt: at }
    })
    tx.insert(webhookDeliveries).values(rows).run()
    const ids = rows.map((row) => row.id)
    afterCommit(() => this.queue.enqueue(ids).catch((error) => this.log.error('record() [enqueue failed]', { deliveryIds: ids, ...errorFields(error) })))
  }
}
