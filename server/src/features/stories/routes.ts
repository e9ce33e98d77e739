import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { CreateStoryBody, ReplyBody, ReplyResult, Story, StoryFeedEntry, StoryIdParams, StoryViewer } from './model'

const bearer = [{ bearer: [] }]

export function storyRoutes(ctx: AppContext) {
  const { stories } = ctx.services
  return new Elysia({ prefix: '/stories', tags: ['stories'] })
    .use(authGuard(ctx))
    .post('', ({ auth, body, set }) => {
      set.status = 201
      return stories.create(auth.user.id, body)
    }, {
      auth: true,
      body: CreateStoryBody,
      response: { 201: Story, ...errors(401, 413, 422, 429) },
      detail: {
        summary: 'Post a story for 24 hours',
        description: 'Seen by everyone who shares a workspace or a conversation with you. `mediaId` is the id of one of your finished uploads (`POST /files`), an image or a video; someone else\'s, unknown, unfinished or other files are 422 `STORY_MEDIA_INVALID` with `details.reason` (`not_found`, `not_ready`, `wrong_kind`). While the story lives, its audience may fetch the file (`GET /files/:id/url`).',
        security: bearer,
      },
    })
    .get('', ({ auth }) => stories.feed(auth.user.id), {
      auth: true,
      response: { 200: t.Array(StoryFeedEntry), ...errors(401, 429) },
      detail: {
        summary: 'The stories feed, grouped by author',
        description: 'Live stories of the people who share a workspace or a conversation with you, and yours. Authors with stories you have not seen come first, then the most recent; stories run oldest first within an author.',
        security: bearer,
      },
    })
    .get('/:id', ({ auth, params }) => stories.get(auth.user.id, params.id), {
      auth: true,
      params: StoryIdParams,
      response: { 200: Story, ...errors(401, 404, 422, 429) },
      detail: { summary: 'One live story you may see (expired or outside your audience: 404)', security: bearer },
    })
    .delete('/:id', ({ auth, params, set }) => {
      stories.delete(auth.user.id, params.id)
      set.status = 204
    }, {
      auth: true,
      params: StoryIdParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Delete your story', security: bearer },
    })
    .post('/:id/views', ({ auth, params, set }) => {
      stories.view(auth.user.id, params.id)
      set.status = 204
    }, {
      auth: true,
      params: StoryIdParams,
      response: { 204: NoContent, ...errors(401, 404, 422, 429) },
      detail: {
        summary: 'Mark a story viewed',
        description: 'Recorded once (repeating is harmless); the author gets `story.viewed` on the socket. Viewing your own story records nothing.',
        security: bearer,
      },
    })
    .get('/:id/views', ({ auth, params }) => stories.viewers(auth.user.id, params.id), {
      auth: true,
      params: StoryIdParams,
      response: { 200: t.Array(StoryViewer), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Who viewed your story, newest first (author only)', security: bearer },
    })
    .post('/:id/replies', ({ auth, params, body, set }) => {
      set.status = 201
      return stories.reply(auth.user.id, params.id, body.text)
    }, {
      auth: true,
      params: StoryIdParams,
      body: ReplyBody,
      response: { 201: ReplyResult, ...errors(400, 401, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'Reply to a story in your DM with its author',
        description: 'Opens the DM if needed and sends a normal message quoting the story. Replying to your own story is 409 `OWN_STORY`.',
        security: bearer,
      },
    })
}
