import { and, asc, desc, eq, gt, isNull, or, sql } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { transaction } from '../../db/client'
import { stories, storyViews, users } from '../../db/schema'
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { EventSink } from '../../realtime/hub'
import { usersSharingSpace } from '../conversations/membership'
import type { ConversationService } from '../conversations/service'
import type { MessageService } from '../messages/service'
import type { MessageView } from '../messages/model'
import { assertOwnedMedia } from '../files/owned-media'
import { sharesSpaceWith } from './audience'
import { QUOTE_LENGTH, STORY_TTL_MS, type CreateStoryInput, type StoryFeedEntry, type StoryView, type StoryViewer } from './model'

type StoryRow = typeof stories.$inferSelect

const STORY_MEDIA_KINDS = ['image', 'video'] as const

const storyNotFound = () => new NotFoundError('Story not found', { code: 'STORY_NOT_FOUND' })
const userRef = { id: users.id, username: users.username, displayName: users.displayName, avatarUrl: users.avatarUrl }

/**
 * 24-hour stories seen by the people who share a workspace or a conversation with the author.
 * Every read filters `expires_at > now` in SQL, so a story leaves every listing the moment it expires,
 * whether or not the purge job has run yet.
 */
export class StoryService {
  constructor(private db: Db, private conversations: ConversationService, private messages: MessageService, private events: EventSink) {}

  create(authorId: string, input: CreateStoryInput): StoryView {
    const text = input.text?.trim() ?? ''
    if (input.kind === 'text' && !text) throw new ValidationError('A text story needs some text', { code: 'EMPTY_STORY', details: [{ field: 'text', message: 'must not be blank' }] })
    if (input.kind === 'media') assertOwnedMedia(this.db, authorId, [input.mediaId], STORY_MEDIA_KINDS, { code: 'STORY_MEDIA_INVALID', field: 'mediaId' })
    const createdAt = new Date()
    const row = this.db.insert(stories).values({
      id: newId(),
      authorId,
      kind: input.kind,
      text,
      mediaId: input.kind === 'media' ? input.mediaId : null,
      background: input.kind === 'text' ? (input.background?.toLowerCase() ?? null) : null,
      createdAt,
      expiresAt: new Date(createdAt.getTime() + STORY_TTL_MS),
    }).returning().get()
    return toStory(row, true)
  }

  /** Live stories of my audience and mine, by author: authors with unseen stories first, then the most recent. */
  feed(userId: string): StoryFeedEntry[] {
    const rows = this.db
      .select({
        story: stories,
        author: userRef,
        seen: sql<number>`exists(select 1 from story_views v where v.story_id = ${stories.id} and v.viewer_id = ${userId})`,
      })
      .from(stories)
      .innerJoin(users, eq(users.id, stories.authorId))
      .where(and(gt(stories.expiresAt, new Date()), isNull(users.disabledAt), or(eq(stories.authorId, userId), sharesSpaceWith(userId, stories.authorId))))
      .orderBy(asc(stories.createdAt), asc(stories.id))
      .all()
    const byAuthor = new Map<string, StoryFeedEntry>()
    for (const row of rows) {
      const story = toStory(row.story, row.author.id === userId || Boolean(row.seen))
      const entry = byAuthor.get(row.author.id) ?? { author: row.author, hasUnseen: false, latestAt: story.createdAt, stories: [] }
      entry.stories.push(story)
      entry.hasUnseen ||= !story.seen
      entry.latestAt = story.createdAt
      byAuthor.set(row.author.id, entry)
    }
    return [...byAuthor.values()].sort((a, b) => Number(b.hasUnseen) - Number(a.hasUnseen) || b.latestAt.localeCompare(a.latestAt) || a.author.id.localeCompare(b.author.id))
  }

  get(userId: string, storyId: string): StoryView {
    const story = this.#visible(userId, storyId)
    return toStory(story, story.authorId === userId || this.#hasViewed(storyId, userId))
  }

  /** Records the first view only; the author viewing their own story records nothing. */
  view(userId: string, storyId: string): void {
    transaction(this.db, (tx, afterCommit) => {
      // Checked inside the write so the story cannot be purged between the check and the insert.
      const story = this.#visible(userId, storyId)
      if (story.authorId === userId) return
      const viewed = tx.insert(storyViews).values({ storyId, viewerId: userId, viewedAt: new Date() }).onConflictDoNothing().returning().get()
      if (!viewed) return
      afterCommit(() => this.events.toUser(story.authorId, { type: 'story.viewed', storyId, viewerId: userId, viewedAt: viewed.viewedAt.toISOString() }))
    })
  }

  /** Who viewed the story, newest first; only its author may ask. */
  viewers(userId: string, storyId: string): StoryViewer[] {
    this.#authored(userId, storyId)
    return this.db
      .select({ user: userRef, viewedAt: storyViews.viewedAt })
      .from(storyViews)
      .innerJoin(users, eq(users.id, storyViews.viewerId))
      .where(eq(storyViews.storyId, storyId))
      .orderBy(desc(storyViews.viewedAt), asc(users.id))
      .all()
      .map((row) => ({ user: row.user, viewedAt: row.viewedAt.toISOString() }))
  }

  delete(userId: string, storyId: string): void {
    this.#authored(userId, storyId)
    this.db.delete(stories).where(eq(stories.id, storyId)).run()
  }

  /**
   * Answers a story in the DM with its author (opened if needed), through the normal send so the
   * reply gets its seq, events and notifications. The DM is opened in its own write: should the send
   * fail, an empty DM is left, as with opening one by hand.
   */
  reply(userId: string, storyId: string, text: string): { conversationId: string; message: MessageView } {
    if (!text.trim()) throw new BadRequestError('A reply needs some text', { code: 'EMPTY_MESSAGE' })
    const story = this.#visible(userId, storyId)
    if (story.authorId === userId) throw new ConflictError('You cannot reply to your own story', { code: 'OWN_STORY' })
    const conversationId = this.conversations.openDirect(userId, story.authorId)
    const { message } = this.messages.send(userId, conversationId, { content: replyContent(story, text) })
    return { conversationId, message }
  }

  // ---- internals --------------------------------------------------------------------------------

  /** A live story the user may see (theirs, or an author sharing a space with them); 404 otherwise. */
  #visible(userId: string, storyId: string): StoryRow {
    const row = this.db
      .select({ story: stories })
      .from(stories)
      .innerJoin(users, eq(users.id, stories.authorId))
      .where(and(eq(stories.id, storyId), gt(stories.expiresAt, new Date()), isNull(users.disabledAt)))
      .get()
    if (!row) throw storyNotFound()
    if (row.story.authorId !== userId && !usersSharingSpace(this.db, userId, [row.story.authorId]).has(row.story.authorId)) throw storyNotFound()
    return row.story
  }

  /** A story the user may see and wrote; others in the audience get 403, everyone else 404. */
  #authored(userId: string, storyId: string): StoryRow {
    const story = this.#visible(userId, storyId)
    if (story.authorId !== userId) throw new ForbiddenError('Only the author can do this', { code: 'NOT_STORY_AUTHOR' })
    return story
  }

  #hasViewed(storyId: string, userId: string): boolean {
    return Boolean(this.db.select({ storyId: storyViews.storyId }).from(storyViews).where(and(eq(storyViews.storyId, storyId), eq(storyViews.viewerId, userId))).get())
  }
}

function toStory(row: StoryRow, seen: boolean): StoryView {
  return {
    id: row.id,
    authorId: row.authorId,
    kind: row.kind,
    text: row.text,
    mediaId: row.mediaId,
    background: row.background,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    seen,
  }
}

/** Quotes the start of the story on one line, so the author sees what the reply is about. */
export function replyContent(story: Pick<StoryRow, 'kind' | 'text'>, text: string): string {
  const line = story.text.replace(/\s+/g, ' ').trim()
  const quoted = line.length > QUOTE_LENGTH ? `${line.slice(0, QUOTE_LENGTH)}…` : line
  const header = quoted ? `> Replying to your story: "${quoted}"` : `> Replying to your ${story.kind === 'media' ? 'photo or video ' : ''}story`
  return `${header}\n\n${text.trim()}`
}
