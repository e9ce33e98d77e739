import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors, NoContent } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import {
  AddParticipantsBody,
  BrowseQuery,
  Conversation,
  ConversationIdParams,
  ConversationListing,
  ConversationSummary,
  CreateConversationBody,
  ListConversationsQuery,
  MarkReadBody,
  PageQuery,
  Participant,
  ParticipantParams,
  ReadState,
  UpdateConversationBody,
  UpdateMySettingsBody,
} from './model'

const bearer = [{ bearer: [] }]

export function conversationRoutes(ctx: AppContext) {
  const { conversations } = ctx.services
  return new Elysia({ prefix: '/conversations', tags: ['conversations'] })
    .use(authGuard(ctx))
    .post('', ({ auth, body, set }) => {
      const { summary, created } = conversations.create(auth.user, body)
      set.status = created ? 201 : 200
      return summary
    }, {
      auth: true,
      body: CreateConversationBody,
      response: { 200: ConversationSummary, 201: ConversationSummary, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Create a channel, group, DM or lounge (an existing DM with the same person is returned with 200)', security: bearer },
    })
    .get('', ({ auth, query }) => conversations.list(auth.user.id, query), {
      auth: true,
      query: ListConversationsQuery,
      response: { 200: t.Array(ConversationSummary), ...errors(401, 422, 429) },
      detail: { summary: 'My conversations for the sidebar, with my settings and unread counts', security: bearer },
    })
    .get('/browse', ({ auth, query }) => conversations.browse(auth.user.id, query.workspaceId), {
      auth: true,
      query: BrowseQuery,
      response: { 200: t.Array(ConversationListing), ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Public channels of a workspace I belong to, with whether I joined', security: bearer },
    })
    .get('/lounges', ({ auth }) => conversations.lounges(auth.user.id), {
      auth: true,
      response: { 200: t.Array(ConversationListing), ...errors(401, 429) },
      detail: { summary: 'All lounges (platform-wide public rooms), with whether I joined', security: bearer },
    })
    .get('/:id', ({ auth, params }) => conversations.get(params.id, auth.user.id), {
      auth: true,
      params: ConversationIdParams,
      response: { 200: ConversationSummary, ...errors(401, 404, 422, 429) },
      detail: { summary: 'One conversation I take part in', security: bearer },
    })
    .patch('/:id', ({ auth, params, body }) => conversations.update(auth.user, params.id, body), {
      auth: true,
      params: ConversationIdParams,
      body: UpdateConversationBody,
      response: { 200: Conversation, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Rename or change topic, description or privacy (channel managers; any group member)', security: bearer },
    })
    .post('/:id/archive', ({ auth, params }) => conversations.setArchived(auth.user, params.id, true), {
      auth: true,
      params: ConversationIdParams,
      response: { 200: Conversation, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary: 'Archive a channel (channel owner or workspace owner/admin)', security: bearer },
    })
    .post('/:id/unarchive', ({ auth, params }) => conversations.setArchived(auth.user, params.id, false), {
      auth: true,
      params: ConversationIdParams,
      response: { 200: Conversation, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary: 'Unarchive a channel (channel owner or workspace owner/admin)', security: bearer },
    })
    .post('/:id/join', ({ auth, params }) => conversations.join(auth.user.id, params.id), {
      auth: true,
      params: ConversationIdParams,
      response: { 200: ConversationSummary, ...errors(401, 403, 404, 422, 429) },
      detail: { summary: 'Join a public channel of my workspace or any lounge', security: bearer },
    })
    .post('/:id/leave', ({ auth, params, set }) => {
      conversations.leave(auth.user.id, params.id)
      set.status = 204
    }, {
      auth: true,
      params: ConversationIdParams,
      response: { 204: NoContent, ...errors(401, 404, 409, 422, 429) },
      detail: { summary: 'Leave a channel, group or lounge (not a DM)', security: bearer },
    })
    .get('/:id/participants', ({ auth, params, query }) => conversations.participants(auth.user.id, params.id, { limit: query.limit ?? 50, offset: query.offset ?? 0 }), {
      auth: true,
      params: ConversationIdParams,
      query: PageQuery,
      response: { 200: t.Object({ participants: t.Array(Participant), total: t.Integer() }), ...errors(401, 404, 422, 429) },
      detail: { summary: 'Who takes part, oldest first', security: bearer },
    })
    .post('/:id/participants', ({ auth, params, body }) => ({ added: conversations.addParticipants(auth.user.id, params.id, body.userIds) }), {
      auth: true,
      params: ConversationIdParams,
      body: AddParticipantsBody,
      response: { 200: t.Object({ added: t.Array(Participant) }), ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: { summary: 'Add people to a channel (workspace members) or group (up to 50); those already in are skipped', security: bearer },
    })
    .delete('/:id/participants/:userId', ({ auth, params, set }) => {
      conversations.removeParticipant(auth.user, params.id, params.userId)
      set.status = 204
    }, {
      auth: true,
      params: ParticipantParams,
      response: { 204: NoContent, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary: 'Remove someone (channel managers, the group creator); removing yourself is leaving', security: bearer },
    })
    .patch('/:id/me', ({ auth, params, body }) => conversations.updateMySettings(auth.user.id, params.id, body), {
      auth: true,
      params: ConversationIdParams,
      body: UpdateMySettingsBody,
      response: { 200: ConversationSummary, ...errors(401, 404, 413, 422, 429) },
      detail: { summary: 'My settings here: muted, pinned, notification level', security: bearer },
    })
    .post('/:id/read', ({ auth, params, body }) => conversations.markRead(auth.user.id, params.id, body.seq), {
      auth: true,
      params: ConversationIdParams,
      body: MarkReadBody,
      response: { 200: ReadState, ...errors(401, 404, 413, 422, 429) },
      detail: { summary: 'Move my read pointer forward (never back, never past the newest message)', security: bearer },
    })
}
