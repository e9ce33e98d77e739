import { inArray } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { pushSubscriptions } from '../../db/schema'
import { errorFields, type Logger } from '../../logger'
import type { CreatedNotification, NotificationObserver } from '../notifications/service'
import type { PushQueue } from './queue'

const CHUNK = 500

/**
 * Told of the notifications that reached their recipients' sockets (so not while they are in
 * do-not-disturb), after commit; queues a push for the loud ones whose recipient has a subscription.
 */
export class PushDispatcher implements NotificationObserver {
  constructor(private db: Db, private queue: PushQueue, private log: Logger) {}

  notified(created: CreatedNotification[]): void {
    const loud = created.filter((notification) => !notification.silent)
    if (loud.length === 0) return
    try {
      const userIds = [...new Set(loud.map((notification) => notification.userId))]
      const subscribed = new Set<string>()
      for (let i = 0; i < userIds.length; i += CHUNK) {
        const rows = this.db.selectDistinct({ userId: pushSubscriptions.userId }).from(pushSubscriptions).where(inArray(pushSubscriptions.userId, userIds.slice(i, i + CHUNK))).all()
        for (const row of rows) subscribed.add(row.userId)
      }
      const ids = loud.filter((notification) => subscribed.has(notification.userId)).map((notification) => notification.id)
      if (ids.length > 0) this.queue.enqueue(ids).catch((error) => this.log.error('notified() [enqueue failed]', { notificationIds: ids, ...errorFields(error) }))
    } catch (error) {
      // The database may be closing with the process; the notifications themselves are stored.
      this.log.error('notified() [dispatch failed]', errorFields(error))
    }
  }
}
