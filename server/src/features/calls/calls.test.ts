import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { expectErrorShape, type Session } from '../../../test/harness'
import { seedConversation, seedWorkspace } from '../../../test/fixtures'
import { conversations } from '../../db/schema'
import { eq } from 'drizzle-orm'
import { startCallKit, type CallKit } from './call-kit'

let kit: CallKit
let alice: Session
let bob: Session
let carol: Session
let dave: Session

beforeAll(async () => {
  kit = await startCallKit()
  ;[alice, bob, carol, dave] = await Promise.all([kit.server.register(), kit.server.register(), kit.server.register(), kit.server.register()])
})
afterAll(() => kit.stop())

const states = (call: any) => Object.fromEntries(call.participants.map((p: any) => [p.userId, p.state]))

describe('starting and ringing', () => {
  test('recording: true asks media to record from the first producer on; when media refuses, the call starts unrecorded and says so', async () => {
    const group = seedConversation(kit.server, [alice, bob])
    const b = await kit.connect(bob)
    const response = await kit.server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'video', recording: true } })
    expect(response.status).toBe(201)
    const asked = kit.media.received.find((r) => r.roomId === response.body.roomId && r.request.name === 'startRecording')
    expect(asked?.request.data).toEqual({ waitForMedia: true })
    // The fake media process refuses room-level recording (no peer id): the flag goes back, and everyone is told.
    expect(response.body.recording).toBe(false)
    await b.next((e) => e.type === 'call.updated' && e.call.id === response.body.id && e.call.recording === false)
    expect((await kit.server.request('GET', `/calls/${response.body.id}`, { token: bob.accessToken })).body.recording).toBe(false)
    expect((await kit.server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body: { kind: 'video', recording: 'yes' } })).status).toBe(422)
    await kit.act(alice, response.body.id, 'end')
  })

  test('a DM call rings the other person with the caller and conversation, tells members, posts a system message', async () => {
    const dm = seedConversation(kit.server, [alice, bob], { kind: 'dm' })
    const [a, b, c] = await Promise.all([kit.connect(alice), kit.connect(bob), kit.connect(carol)])
    const call = await kit.start(alice, dm, { kind: 'audio' })
    expect(call).toMatchObject({ conversationId: dm, kind: 'audio', startedBy: alice.user.id, active: true, endedAt: null, recording: false, durationSeconds: 0, roomId: call.id })
    expect(states(call)).toEqual({ [alice.user.id]: 'joined', [bob.user.id]: 'ringing' })
    const ringing = await b.next((e) => e.type === 'call.ringing' && e.call.id === call.id)
    expect(ringing.conversation).toEqual({ id: dm, kind: 'dm', name: null })
    expect(ringing.caller).toEqual({ id: alice.user.id, displayName: expect.stringMatching(/^User /) })
    await a.next((e) => e.type === 'call.started' && e.call.id === call.id)
    await b.next((e) => e.type === 'call.started' && e.call.id === call.id)
    const system = await b.next((e) => e.type === 'message.created' && e.message.conversationId === dm)
    expect(system.message).toMatchObject({ type: 'system', senderId: null, content: expect.stringContaining('started an audio call') })
    await Promise.all([a.settle(), c.settle()])
    expect(a.events.some((e) => e.type === 'call.ringing')).toBe(false)
    expect(c.events.some((e) => e.type.startsWith('call.'))).toBe(false)
  })

  test('a second start answers 409 CALL_IN_PROGRESS with the running call id', async () => {
    const group = seedConversation(kit.server, [alice, bob, carol])
    const call = await kit.start(alice, group)
    const again = await kit.server.request('POST', `/conversations/${group}/calls`, { token: bob.accessToken, body: { kind: 'audio' } })
    expect(again.status).toBe(409)
    expectErrorShape(again.body, 'CALL_IN_PROGRESS')
    expect(again.body.error.details).toEqual({ callId: call.id })
  })

  test('non-members get 404, lounges 409, bad bodies 422, all in the error shape', async () => {
    const group = seedConversation(kit.server, [alice, bob])
    const outsider = await kit.server.request('POST', `/conversations/${group}/calls`, { token: dave.accessToken, body: { kind: 'video' } })
    expect(outsider.status).toBe(404)
    expectErrorShape(outsider.body, 'CONVERSATION_NOT_FOUND')
    for (const body of [{ kind: 'hologram' }, { kind: 'video', extra: 1 }, {}]) {
      const bad = await kit.server.request('POST', `/conversations/${group}/calls`, { token: alice.accessToken, body })
      expect(bad.status).toBe(422)
      expectErrorShape(bad.body, 'VALIDATION_FAILED')
    }
    const lounge = seedConversation(kit.server, [alice, bob])
    kit.server.ctx.db.update(conversations).set({ kind: 'lounge' }).where(eq(conversations.id, lounge)).run()
    const refused = await kit.server.request('POST', `/conversations/${lounge}/calls`, { token: alice.accessToken, body: { kind: 'video' } })
    expect(refused.status).toBe(409)
    expectErrorShape(refused.body, 'CALLS_NOT_AVAILABLE')
    const unauthenticated = await kit.server.request('POST', `/conversations/${group}/calls`, { body: { kind: 'video' } })
    expect(unauthenticated.status).toBe(401)
  })
})

describe('answering', () => {
  test('accept stops the ring (call.updated), join makes the callee a joined participant', async () => {
    const dm = seedConversation(kit.server, [alice, carol], { kind: 'dm' })
    const a = await kit.connect(alice)
    const call = await kit.start(alice, dm)
    const accepted = await kit.act(carol, call.id, 'accept')
    expect(accepted.status).toBe(200)
    expect(states(accepted.body)[carol.user.id]).toBe('accepted')
    const update = await a.next((e) => e.type === 'call.updated' && e.call.id === call.id)
    expect(states(update.call)[carol.user.id]).toBe('accepted')
    expect((await kit.act(carol, call.id, 'accept')).status).toBe(200)
    const joined = await kit.act(carol, call.id, 'join')
    expect(joined.status).toBe(200)
    expect(states(joined.body)).toEqual({ [alice.user.id]: 'joined', [carol.user.id]: 'joined' })
    expect(joined.body.participants.find((p: any) => p.userId === carol.user.id).joinedAt).not.toBeNull()
    const again = await kit.act(carol, call.id, 'decline')
    expect(again.status).toBe(409)
    expectErrorShape(again.body, 'NOT_RINGING')
  })

  test('the only callee declining ends a DM call as declined, with a system message and call.ended', async () => {
    const dm = seedConversation(kit.server, [bob, dave], { kind: 'dm' })
    const b = await kit.connect(bob)
    const call = await kit.start(bob, dm, { kind: 'audio' })
    const declined = await kit.act(dave, call.id, 'decline')
    expect(declined.status).toBe(200)
    expect(declined.body).toMatchObject({ active: false, endedReason: 'declined', durationSeconds: 0 })
    expect(states(declined.body)).toEqual({ [bob.user.id]: 'left', [dave.user.id]: 'declined' })
    const ended = await b.next((e) => e.type === 'call.ended' && e.call.id === call.id)
    expect(ended.call.endedReason).toBe('declined')
    const messages = await kit.messages(bob, dm)
    expect(messages.map((m: any) => m.content)).toEqual([expect.stringContaining('started an audio call'), expect.stringContaining('audio call was declined')])
    const late = await kit.act(dave, call.id, 'join')
    expect(late.status).toBe(409)
    expectErrorShape(late.body, 'CALL_ENDED')
  })

  test('in a group one decline keeps the call running while others still ring', async () => {
    const group = seedConversation(kit.server, [alice, bob, carol])
    const call = await kit.start(alice, group)
    const declined = await kit.act(bob, call.id, 'decline')
    expect(declined.body).toMatchObject({ active: true })
    expect(states(declined.body)).toEqual({ [alice.user.id]: 'joined', [bob.user.id]: 'declined', [carol.user.id]: 'ringing' })
  })
})

describe('joining, leaving, ending', () => {
  test('anyone in the conversation joins; the last one leaving ends the call with duration and participants', async () => {
    const group = seedConversation(kit.server, [alice, bob, carol], { name: 'standup' })
    const call = await kit.start(alice, group)
    expect((await kit.act(bob, call.id, 'join')).status).toBe(200)
    const outsider = await kit.act(dave, call.id, 'join')
    expect(outsider.status).toBe(404)
    expectErrorShape(outsider.body, 'CALL_NOT_FOUND')
    expect((await kit.act(alice, call.id, 'leave')).body.active).toBe(true)
    const notIn = await kit.act(alice, call.id, 'leave')
    expect(notIn.status).toBe(409)
    expectErrorShape(notIn.body, 'NOT_IN_CALL')
    const last = await kit.act(bob, call.id, 'leave')
    expect(last.body).toMatchObject({ active: false, endedReason: 'everyone_left' })
    // carol was still ringing when the call ended: that is a missed call for her.
    expect(states(last.body)).toEqual({ [alice.user.id]: 'left', [bob.user.id]: 'left', [carol.user.id]: 'missed' })
    const ended = (await kit.messages(alice, group)).at(-1)
    expect(ended).toMatchObject({ type: 'system', senderId: null })
    expect(ended.content).toMatch(/^📞 Video call ended · \d+:\d\d · /)
    expect(ended.content).toContain(last.body.participants.find((p: any) => p.userId === alice.user.id).displayName)
    expect(ended.content).toContain(last.body.participants.find((p: any) => p.userId === bob.user.id).displayName)
    expect(ended.content).not.toContain(last.body.participants.find((p: any) => p.userId === carol.user.id).displayName)
  })

  test('end for all: the caller may, another member gets 403, a workspace admin may', async () => {
    const workspace = seedWorkspace(kit.server, dave, [[alice, 'member'], [bob, 'member'], [carol, 'admin']])
    const channel = seedConversation(kit.server, [alice, bob, carol])
    kit.server.ctx.db.update(conversations).set({ kind: 'channel', workspaceId: workspace }).where(eq(conversations.id, channel)).run()
    const first = await kit.start(alice, channel)
    await kit.act(bob, first.id, 'join')
    const forbidden = await kit.act(bob, first.id, 'end')
    expect(forbidden.status).toBe(403)
    expectErrorShape(forbidden.body, 'CALL_END_FORBIDDEN')
    const ended = await kit.act(alice, first.id, 'end')
    expect(ended.body).toMatchObject({ active: false, endedReason: 'ended' })
    expect(states(ended.body)[bob.user.id]).toBe('left')
    const twice = await kit.act(alice, first.id, 'end')
    expect(twice.status).toBe(409)
    expectErrorShape(twice.body, 'CALL_ENDED')

    const second = await kit.start(bob, channel)
    const b = await kit.connect(bob)
    const byAdmin = await kit.act(carol, second.id, 'end')
    expect(byAdmin.body.endedReason).toBe('ended')
    await b.next((e) => e.type === 'call.ended' && e.call.id === second.id)
    // The workspace owner is not in the channel, and may still end a call there.
    const third = await kit.start(alice, channel)
    expect((await kit.act(dave, third.id, 'end')).body.endedReason).toBe('ended')
  })

  test('unknown calls answer 404, malformed ids 422', async () => {
    const unknown = await kit.act(alice, '0190aaaa-0000-7000-8000-000000000000', 'join')
    expect(unknown.status).toBe(404)
    expectErrorShape(unknown.body, 'CALL_NOT_FOUND')
    const tooLong = await kit.act(alice, 'x'.repeat(65), 'leave')
    expect(tooLong.status).toBe(422)
    expectErrorShape(tooLong.body)
  })
})

describe('history', () => {
  test('per conversation and per user, newest first, paginated, only for those who may see them', async () => {
    const group = seedConversation(kit.server, [alice, bob])
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const call = await kit.start(alice, group)
      await kit.act(bob, call.id, 'join')
      await kit.act(alice, call.id, 'end')
      ids.unshift(call.id)
    }
    const page1 = await kit.server.request('GET', `/conversations/${group}/calls?limit=2`, { token: bob.accessToken })
    expect(page1.status).toBe(200)
    expect(page1.body.calls.map((c: any) => c.id)).toEqual(ids.slice(0, 2))
    expect(page1.body.hasMore).toBe(true)
    expect(page1.body.calls[0]).toMatchObject({ active: false, endedReason: 'ended', durationSeconds: expect.any(Number) })
    expect(page1.body.calls[0].participants.map((p: any) => p.userId).sort()).toEqual([alice.user.id, bob.user.id].sort())
    const page2 = await kit.server.request('GET', `/conversations/${group}/calls?limit=2&before=${ids[1]}`, { token: bob.accessToken })
    expect(page2.body).toEqual({ calls: [expect.objectContaining({ id: ids[2] })], hasMore: false })

    const mine = await kit.server.request('GET', '/calls?limit=100', { token: bob.accessToken })
    expect(mine.body.calls.map((c: any) => c.id)).toEqual(expect.arrayContaining(ids))
    const theirs = await kit.server.request('GET', '/calls', { token: dave.accessToken })
    expect(theirs.body.calls.some((c: any) => ids.includes(c.id))).toBe(false)

    const hidden = await kit.server.request('GET', `/conversations/${group}/calls`, { token: dave.accessToken })
    expect(hidden.status).toBe(404)
    expectErrorShape(hidden.body, 'CONVERSATION_NOT_FOUND')
    const one = await kit.server.request('GET', `/calls/${ids[0]}`, { token: dave.accessToken })
    expect(one.status).toBe(404)
    expect((await kit.server.request('GET', `/calls/${ids[0]}`, { token: alice.accessToken })).body.id).toBe(ids[0])
    const bad = await kit.server.request('GET', '/calls?limit=0', { token: alice.accessToken })
    expect(bad.status).toBe(422)
    expectErrorShape(bad.body, 'VALIDATION_FAILED')
  })
})
