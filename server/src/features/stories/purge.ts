import { lte } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { stories } from '../../db/schema'

/** Deletes stories whose 24 hours are over (their views go by cascade); returns how many. Idempotent. */
export function purgeExpiredStories(db: Db, now = Date.now()): number {
  return db.delete(stories).where(lte(stories.expiresAt, new Date(now))).returning({ id: stories.id }).all().length
}
