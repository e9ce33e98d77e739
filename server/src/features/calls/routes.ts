import { Elysia } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { Call, CallPage, CallParams, ConversationParams, HistoryQuery, RecordingBody, StartCallBody } from './model'

const bearer = [{ bearer: [] }]
const EVENTS = 'Conversation members get `call.updated` on the socket.'
const ENDED = 'A call that is over answers 409 `CALL_ENDED`.'
const HIDDEN = 'A call in a conversation you are not in answers 404 `CALL_NOT_FOUND`.'

export function callRoutes(ctx: AppContext) {
  const { calls, callRecordings } = ctx.services
  return new Elysia({ tags: ['calls'] })
    .use(authGuard(ctx))
    .post('/conversations/:id/calls', ({ auth, params, body, set }) => {
      set.status = 201
      return callRecordings.startWithCall(calls.start(auth.user.id, params.id, body))
    }, {
      auth: true,
      params: ConversationParams,
      body: StartCallBody,
      response: { 201: Call, ...errors(401, 403, 404, 409, 422, 429, 503) },
      detail: {
        summary: 'Start an audio or video call in a DM, group or channel you can write to',
        description: 'The caller joins at once; every other participant is rung (`call.ringing` to their sockets) unless the conversation has more than 50, then people join from the `call.started` banner. ' +
          'A system message is posted. One call runs per conversation: a second start answers 409 `CALL_IN_PROGRESS` with `details.callId` (join that call instead). ' +
          'With `recording: true` the call is recorded from the first audio or video on (if the media server cannot, the call starts with `recording: false`). ' +
          'Lounges answer 409 `CALLS_NOT_AVAILABLE`, archived conversations 403 `CONVERSATION_ARCHIVED`. Without a reachable media server: 503 `MEDIA_UNAVAILABLE` (chat keeps working).',
        security: bearer,
      },
    })
    .get('/conversations/:id/calls', ({ auth, params, query }) => calls.historyForConversation(auth.user.id, params.id, query), {
      auth: true,
      params: ConversationParams,
      query: HistoryQuery,
      response: { 200: CallPage, ...errors(401, 404, 422, 429) },
      detail: { summary: "A conversation's calls, newest first, running ones included (participants)", description: 'Page with `before` = the id of the oldest call you hold.', security: bearer },
    })
    .get('/calls', ({ auth, query }) => calls.historyForUser(auth.user.id, query), {
      auth: true,
      query: HistoryQuery,
      response: { 200: CallPage, ...errors(401, 422, 429) },
      detail: { summary: 'Your call history: calls you were rung for or joined, newest first', description: 'Only conversations you are still in. Page with `before`.', security: bearer },
    })
    .get('/calls/:id', ({ auth, params }) => calls.get(auth.user.id, params.id), {
      auth: true,
      params: CallParams,
      response: { 200: Call, ...errors(401, 404, 422, 429) },
      detail: { summary: 'One call with its participants and duration', description: HIDDEN, security: bearer },
    })
    .post('/calls/:id/accept', ({ auth, params }) => calls.accept(auth.user.id, params.id), {
      auth: true,
      params: CallParams,
      response: { 200: Call, ...errors(401, 404, 409, 422, 429) },
      detail: {
        summary: 'Answer a ringing call (then join it from the device)',
        description: `Stops the ringing on all your devices; state \`accepted\`. Idempotent once accepted or joined; a call that is not ringing for you answers 409 \`NOT_RINGING\`. ${EVENTS} ${ENDED} ${HIDDEN}`,
        security: bearer,
      },
    })
    .post('/calls/:id/decline', ({ auth, params }) => calls.decline(auth.user.id, params.id), {
      auth: true,
      params: CallParams,
      response: { 200: Call, ...errors(401, 404, 409, 422, 429) },
      detail: {
        summary: 'Decline a ringing call',
        description: `When nobody answered and nobody else is still being rung, the call ends (\`declined\` when everyone declined). ${EVENTS} ${ENDED} ${HIDDEN}`,
        security: bearer,
      },
    })
    .post('/calls/:id/join', ({ auth, params }) => calls.join(auth.user.id, params.id), {
      auth: true,
      params: CallParams,
      response: { 200: Call, ...errors(401, 404, 409, 422, 429, 503) },
      detail: {
        summary: 'Join a running call (any participant of the conversation, rung or not)',
        description: `After joining, signal through the socket (\`call.signal\`). Without a reachable media server: 503 \`MEDIA_UNAVAILABLE\`. ${EVENTS} ${ENDED} ${HIDDEN}`,
        security: bearer,
      },
    })
    .post('/calls/:id/leave', ({ auth, params }) => calls.leave(auth.user.id, params.id), {
      auth: true,
      params: CallParams,
      response: { 200: Call, ...errors(401, 404, 409, 422, 429) },
      detail: {
        summary: 'Leave a call; the last one out ends it',
        description: `Not being in the call answers 409 \`NOT_IN_CALL\`. The last joined participant leaving ends the call (\`call.ended\`, a system message with duration and participants). ${EVENTS} ${ENDED} ${HIDDEN}`,
        security: bearer,
      },
    })
    .post('/calls/:id/end', ({ auth, params }) => calls.end(auth.user.id, params.id), {
      auth: true,
      params: CallParams,
      response: { 200: Call, ...errors(401, 403, 404, 409, 422, 429) },
      detail: {
        summary: 'End a call for everyone (the caller, or an owner/admin of the workspace)',
        description: `Anyone else in the conversation gets 403 \`CALL_END_FORBIDDEN\`. Still-ringing participants get a missed call. ${ENDED} ${HIDDEN}`,
        security: bearer,
      },
    })
    .post('/calls/:id/recording', ({ auth, params, body }) => callRecordings.set(auth.user.id, params.id, body.on), {
      auth: true,
      params: CallParams,
      body: RecordingBody,
      response: { 200: Call, ...errors(401, 403, 404, 409, 422, 429, 503) },
      detail: {
        summary: 'Turn recording of a running call on or off (the caller, the conversation owner or a workspace admin)',
        description: 'Everyone in the conversation gets `call.updated` with `recording`; others answer 403 `RECORDING_FORBIDDEN`. ' +
          'Starting while nobody sends audio or video answers 409 `RECORDING_FAILED`. When recording stops (or the call ends) the WebM becomes a file of the caller, ' +
          'attached to a system message in the conversation, and its transcription is requested. Everyone who sends audio or video while it runs is in the file, also those who start later. ' +
          `Without a reachable media server: 503 \`MEDIA_UNAVAILABLE\`. ${ENDED} ${HIDDEN}`,
        security: bearer,
      },
    })
}
