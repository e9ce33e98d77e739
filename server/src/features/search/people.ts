import { and, asc, eq, inArray, isNull, or, sql } from 'drizzle-orm'
import { alias } from 'drizzle-orm/sqlite-core'
import type { Db } from '../../db/client'
import { participants, users, workspaceMembers } from '../../db/schema'
import { ValidationError } from '../../errors'
import { MAX_USER_RESULTS, type UserSearchHit } from './model'
import { escapeLike, like } from './paging'

export interface PeopleViewer {
  id: string
  role: 'admin' | 'user'
}

/**
 * People search, scoped so nobody can list the platform: fragments of a username or display name
 * find only people who share a workspace or a conversation with the searcher; anyone else is found
 * by their exact username or complete email address (how you start a DM with a new colleague).
 * Platform admins, who see everyone at /admin/users anyway, search everyone and match email
 * fragments too. Emails are never returned. Plain LIKE: the users table is small next to messages.
 */
export class PeopleSearch {
  constructor(private db: Db) {}

  search(viewer: PeopleViewer, q: string): UserSearchHit[] {
    // `@ada` is how people write a username.
    const needle = q.trim().toLowerCase().replace(/^@/, '')
    if (!needle) throw new ValidationError('Type something to search for', { code: 'QUERY_EMPTY' })
    const contains = `%${escapeLike(needle)}%`
    const prefix = `${escapeLike(needle)}%`
    const exact = or(eq(users.username, needle), eq(users.email, needle))!
    const fragment = or(like(users.username, contains), like(users.displayName, contains), ...(viewer.role === 'admin' ? [like(users.email, contains)] : []))!
    const found = viewer.role === 'admin' ? or(exact, fragment)! : or(exact, and(fragment, inArray(users.id, this.#sharingWith(viewer.id))))!
    return this.db
      .select({ id: users.id, username: users.username, displayName: users.displayName, avatarUrl: users.avatarUrl })
      .from(users)
      .where(and(isNull(users.disabledAt), found))
      .orderBy(
        sql`CASE WHEN ${users.username} = ${needle} OR ${users.email} = ${needle} THEN 0 WHEN ${like(users.username, prefix)} THEN 1 WHEN ${like(users.displayName, prefix)} THEN 2 ELSE 3 END`,
        asc(users.username),
      )
      .limit(MAX_USER_RESULTS)
      .all()
  }

  /** Ids of everyone in a workspace or a conversation with `userId` (themselves included). */
  #sharingWith(userId: string) {
    const mine = alias(workspaceMembers, 'mine')
    const theirs = alias(workspaceMembers, 'theirs')
    const myRooms = alias(participants, 'my_rooms')
    const roommates = alias(participants, 'roommates')
    const coworkers = this.db.select({ id: theirs.userId }).from(mine).innerJoin(theirs, eq(theirs.workspaceId, mine.workspaceId)).where(eq(mine.userId, userId))
    const companions = this.db.select({ id: roommates.userId }).from(myRooms).innerJoin(roommates, eq(roommates.conversationId, myRooms.conversationId)).where(eq(myRooms.userId, userId))
    return coworkers.union(companions)
  }
}
