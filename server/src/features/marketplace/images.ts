import { and, eq, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { listings, participants } from '../../db/schema'

/**
 * Download rule for listing images (files/downloads.ts): the file is an image of a listing in a
 * lounge the user is in, whatever the listing's status (participants still see withdrawn and sold
 * listings). Leaving or being banned from the lounge ends it at once.
 */
export function listingImageReader(db: Db): (userId: string, fileId: string) => boolean {
  return (userId, fileId) => {
    const row = db
      .select({ id: listings.id })
      .from(participants)
      .innerJoin(listings, eq(listings.conversationId, participants.conversationId))
      .where(and(eq(participants.userId, userId), sql`exists (select 1 from json_each(${listings.imageIds}) where value = ${fileId})`))
      .limit(1)
      .get()
    return row !== undefined
  }
}
