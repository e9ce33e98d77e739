import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type Session } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { waitFor } from '../../../test/wait'
import { startCallKit, type CallKit } from './call-kit'

// A one-second ring, so timeouts happen inside the test.
let kit: CallKit
let alice: Session
let bob: Session
let carol: Session

beforeAll(async () => {
  kit = await startCallKit({ CALL_RING_TIMEOUT_SECONDS: '1' })
  ;[alice, bob, carol] = await Promise.all([kit.server.register(), kit.server.register(), kit.server.register()])
})
afterAll(() => kit.stop())

const getCall = async (who: Session, id: string) => (await kit.server.request('GET', `/calls/${id}`, { token: who.accessToken })).body
const notificationsOf = async (who: Session) => (await kit.server.request('GET', '/notifications', { token: who.accessToken })).body.notifications

describe('ring timeout', () => {
  test('an unanswered DM call becomes a missed call: notification, call.ended unanswered, system message', async () => {
    const dm = seedConversation(kit.server, [alice, bob], { kind: 'dm' })
    const [a, b] = await Promise.all([kit.connect(alice), kit.connect(bob)])
    const call = await kit.start(alice, dm, { kind: 'video' })
    const ended = await a.next((e) => e.type === 'call.ended' && e.call.id === call.id)
    expect(ended.call).toMatchObject({ endedReason: 'unanswered', active: false, durationSeconds: 0 })
    expect(ended.call.participants.find((p: any) => p.userId === bob.user.id).state).toBe('missed')
    const pushed = await b.next((e) => e.type === 'notification.created' && e.notification.kind === 'missed_call')
    expect(pushed.notification).toMatchObject({ conversationId: dm, actorId: alice.user.id, preview: { text: 'Missed video call', conversationName: null } })
    const stored = await notificationsOf(bob)
    expect(stored.filter((n: any) => n.kind === 'missed_call').map((n: any) => n.id)).toEqual([pushed.notification.id])
    // The system messages notify nobody, and the caller gets no missed call.
    expect(await notificationsOf(alice)).toEqual([])
    expect(stored.some((n: any) => n.kind === 'dm')).toBe(false)
    const messages = await kit.messages(bob, dm)
    expect(messages.at(-1).content).toContain('Missed video call from')
  })

  test('in a group, callees who do not answer are missed while the call goes on with the one who joined', async () => {
    const group = seedConversation(kit.server, [alice, bob, carol])
    const call = await kit.start(alice, group, { kind: 'audio' })
    await kit.act(bob, call.id, 'join')
    const after = await waitFor(async () => {
      const current = await getCall(alice, call.id)
      return current.participants.some((p: any) => p.state === 'ringing') ? undefined : current
    }, 'the ring to time out')
    expect(after.active).toBe(true)
    expect(Object.fromEntries(after.participants.map((p: any) => [p.userId, p.state]))).toEqual({ [alice.user.id]: 'joined', [bob.user.id]: 'joined', [carol.user.id]: 'missed' })
    expect((await notificationsOf(carol)).some((n: any) => n.kind === 'missed_call' && n.conversationId === group)).toBe(true)
    expect((await notificationsOf(bob)).some((n: any) => n.kind === 'missed_call' && n.conversationId === group)).toBe(false)
  })

  test('an accepted call does not time out', async () => {
    const dm = seedConversation(kit.server, [bob, carol], { kind: 'dm' })
    const call = await kit.start(bob, dm)
    await kit.act(carol, call.id, 'accept')
    // A second call in another conversation times out meanwhile: once it has, this one's timer has fired too.
    const group = seedConversation(kit.server, [bob, alice])
    const b = await kit.connect(bob)
    const other = await kit.start(bob, group)
    await b.next((e) => e.type === 'call.ended' && e.call.id === other.id)
    const current = await getCall(bob, call.id)
    expect(current.active).toBe(true)
    expect(current.participants.find((p: any) => p.userId === carol.user.id).state).toBe('accepted')
  })
})

describe('restarts', () => {
  test('ringing left behind by a stopped server is marked missed when the next one starts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-calls-'))
    const databasePath = join(dir, 'shared.db')
    // One database and one signing secret, so the second server knows the first one's users and tokens.
    const env = { MEDIA_URL: kit.media.url, MEDIA_SECRET: kit.media.secret, DATABASE_PATH: databasePath, JWT_SECRET: 'restart-test-secret-0123456789abcdef' }
    // A long ring on the first server, so only the restart can expire it.
    const first = await startServer({ ...env, CALL_RING_TIMEOUT_SECONDS: '600' })
    const [caller, callee] = [await first.register(), await first.register()]
    const dm = seedConversation(first, [caller, callee], { kind: 'dm' })
    await waitFor(() => first.ctx.services.calls.mediaAvailable || undefined, 'the media link')
    const started = await first.request('POST', `/conversations/${dm}/calls`, { token: caller.accessToken, body: { kind: 'audio' } })
    expect(started.status).toBe(201)
    await first.stop()
    await Bun.sleep(1100)

    const second = await startServer({ ...env, CALL_RING_TIMEOUT_SECONDS: '1' })
    try {
      const call = (await second.request('GET', `/calls/${started.body.id}`, { token: caller.accessToken })).body
      expect(call).toMatchObject({ active: false, endedReason: 'unanswered' })
      expect(call.participants.find((p: any) => p.userId === callee.user.id).state).toBe('missed')
      const notes = (await second.request('GET', '/notifications', { token: callee.accessToken })).body.notifications
      expect(notes.map((n: any) => n.kind)).toEqual(['missed_call'])
    } finally {
      await second.stop()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
