import { and, eq, gt, isNull, or, sql, type SQL } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { stories, users } from '../../db/schema'
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core'

/**
 * `column` is someone who shares a conversation or a workspace with the user: the set form of
 * usersSharingSpace (conversations/membership.ts), so a feed filters in SQL instead of by id list.
 */
export function sharesSpaceWith(userId: string, column: SQLiteColumn): SQL {
  return sql`${column} in (
    select p2.user_id from participants p1 join participants p2 on p2.conversation_id = p1.conversation_id where p1.user_id = ${userId}
    union
    select m2.user_id from workspace_members m1 join workspace_members m2 on m2.workspace_id = m1.workspace_id where m1.user_id = ${userId})`
}

/**
 * Download rule for story media (files/downloads.ts): the file is the media of a live story of an
 * enabled author the user may see, the same audience the feed uses. Expired stories stop sharing at once.
 */
export function storyMediaReader(db: Db): (userId: string, fileId: string) => boolean {
  return (userId, fileId) => {
    const row = db
      .select({ id: stories.id })
      .from(stories)
      .innerJoin(users, eq(users.id, stories.authorId))
      .where(and(eq(stories.mediaId, fileId), gt(stories.expiresAt, new Date()), isNull(users.disabledAt), or(eq(stories.authorId, userId), sharesSpaceWith(userId, stories.authorId))))
      .limit(1)
      .get()
    return row !== undefined
  }
}
