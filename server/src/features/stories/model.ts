import { t } from 'elysia'
import { Iso, strict } from '../../http/schemas'
import { UserRef } from '../conversations/model'
import { Message } from '../messages/model'

export const STORY_TTL_MS = 24 * 3600_000
export const MAX_STORY_TEXT = 700
export const MAX_REPLY_TEXT = 4000
/** How much of the story a reply quotes. */
export const QUOTE_LENGTH = 80

const StoryText = t.String({ minLength: 1, maxLength: MAX_STORY_TEXT })
const Background = t.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'Background colour, #rrggbb' })
const MediaId = t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$', description: 'Id of one of your finished uploads (POST /files), an image or a video; anything else is 422 STORY_MEDIA_INVALID. The story\'s audience may then download it.' })

export const CreateStoryBody = t.Union(
  [
    t.Object({ kind: t.Literal('text'), text: StoryText, background: t.Optional(Background) }, { ...strict, title: 'CreateTextStory' }),
    t.Object({ kind: t.Literal('media'), mediaId: MediaId, text: t.Optional(t.String({ maxLength: MAX_STORY_TEXT, description: 'Caption' })) }, { ...strict, title: 'CreateMediaStory' }),
  ],
  { description: 'A text story (1–700 characters, optional background) or a media story (a media id and an optional caption)' },
)
export type CreateStoryInput = typeof CreateStoryBody.static

export const Story = t.Object(
  {
    id: t.String(),
    authorId: t.String(),
    kind: t.Union([t.Literal('text'), t.Literal('media')]),
    text: t.String({ description: 'The text, or the caption of a media story (may be empty)' }),
    mediaId: t.Union([t.String(), t.Null()]),
    background: t.Union([t.String(), t.Null()]),
    createdAt: Iso,
    expiresAt: Iso,
    seen: t.Boolean({ description: 'You viewed it (always true for your own stories)' }),
  },
  { title: 'Story' },
)
export type StoryView = typeof Story.static

export const StoryFeedEntry = t.Object(
  {
    author: UserRef,
    hasUnseen: t.Boolean(),
    latestAt: Iso,
    stories: t.Array(Story, { description: 'Oldest first' }),
  },
  { title: 'StoryFeedEntry' },
)
export type StoryFeedEntry = typeof StoryFeedEntry.static

export const StoryViewer = t.Object({ user: UserRef, viewedAt: Iso }, { title: 'StoryViewer' })
export type StoryViewer = typeof StoryViewer.static

export const StoryIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) })

export const ReplyBody = t.Object({ text: t.String({ minLength: 1, maxLength: MAX_REPLY_TEXT }) }, strict)

export const ReplyResult = t.Object({ conversationId: t.String({ description: 'The DM with the author' }), message: Message }, { title: 'StoryReply' })
