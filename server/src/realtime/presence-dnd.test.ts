import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { users } from '../db/schema'
import { startServer, type Session, type TestServer } from '../../test/harness'
import { seedConversation } from '../../test/fixtures'
import { SocketPool } from '../../test/socket'
import { waitFor } from '../../test/wait'
import { SOCKET_DND_MS } from './presence'

/** The `dnd` presence status and the do-not-disturb setting (`/users/me/dnd`) are one setting seen two ways. */
let server: TestServer
const sockets = new SocketPool(() => server)

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  sockets.closeAll()
  await server.stop()
})

const connect = (who: Session) => sockets.connect(who)

const getDnd = async (who: Session) => (await server.request('GET', '/users/me/dnd', { token: who.accessToken })).body as { active: boolean; until: string | null }
const putDnd = (who: Session, until: string | null) => server.request('PUT', '/users/me/dnd', { token: who.accessToken, body: { until } })
const inMinutes = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString()

/** A watcher subscribed to `watched`, and a way to wait until the latest presence it saw is `status`. */
async function watch(watched: Session) {
  const watcher = await server.register()
  seedConversation(server, [watcher, watched])
  const eyes = await connect(watcher)
  await eyes.command({ type: 'presence.subscribe', userIds: [watched.user.id] })
  const latest = () => eyes.events.filter((e) => e.type === 'presence' && e.userId === watched.user.id).at(-1)?.status
  return {
    latest,
    until: (status: string) => waitFor(() => (latest() === status ? status : undefined), `presence ${status}`),
  }
}

describe('dnd presence and the do-not-disturb setting agree', () => {
  test('choosing dnd on the socket switches do-not-disturb on; choosing online switches it off; away leaves it', async () => {
    const me = await server.register()
    const { until } = await watch(me)
    const socket = await connect(me)
    await until('online')

    expect((await socket.command({ type: 'presence', status: 'dnd' })).type).toBe('ack')
    await until('dnd')
    const on = await getDnd(me)
    expect(on.active).toBe(true)
    const remaining = Date.parse(on.until!) - Date.now()
    expect(remaining).toBeGreaterThan(SOCKET_DND_MS - 60_000)
    expect(remaining).toBeLessThanOrEqual(SOCKET_DND_MS)

    // Idle clients send away by themselves: that must not end do-not-disturb, and dnd still shows.
    await socket.command({ type: 'presence', status: 'away' })
    await socket.settle()
    expect(await getDnd(me)).toEqual(on)
    await until('dnd')

    await socket.command({ type: 'presence', status: 'online' })
    await until('online')
    expect(await getDnd(me)).toEqual({ active: false, until: null })
  })

  test('setting do-not-disturb over REST shows as dnd, also after a reconnect, and clearing it shows them available', async () => {
    const me = await server.register()
    const { until, latest } = await watch(me)
    const first = await connect(me)
    await first.command({ type: 'presence', status: 'away' })
    await until('away')

    const later = inMinutes(90)
    expect((await putDnd(me, later)).body).toEqual({ active: true, until: later })
    await until('dnd')
    // Choosing dnd while it is on keeps the time the person set.
    await first.command({ type: 'presence', status: 'dnd' })
    expect((await getDnd(me)).until).toBe(later)

    first.close()
    await until('offline')
    await connect(me)
    await until('dnd')

    expect((await putDnd(me, null)).body).toEqual({ active: false, until: null })
    await until('online')
    expect(latest()).toBe('online')
  })

  test('when do-not-disturb runs out, watchers see the person available again', async () => {
    const me = await server.register()
    const { until } = await watch(me)
    await connect(me)
    await until('online')
    // Nobody acts when it ends: the server announces it at that time.
    expect((await putDnd(me, new Date(Date.now() + 1500).toISOString())).status).toBe(200)
    await until('dnd')
    await until('online')
    expect((await getDnd(me)).active).toBe(false)
    expect(server.ctx.db.select({ dndUntil: users.dndUntil }).from(users).where(eq(users.id, me.user.id)).get()!.dndUntil!.getTime()).toBeLessThanOrEqual(Date.now())
  })

  test('a dnd chosen on the socket quiets notifications like the setting does', async () => {
    const [me, friend] = await Promise.all([server.register(), server.register()])
    const dm = seedConversation(server, [me, friend], { kind: 'dm' })
    const socket = await connect(me)
    await socket.command({ type: 'presence', status: 'dnd' })
    const quiet = await server.request('POST', `/conversations/${dm}/messages`, { token: friend.accessToken, body: { content: 'are you there?' } })
    expect(quiet.status).toBe(201)
    await socket.settle()
    expect(socket.events.filter((e) => e.type === 'notification.created')).toEqual([])

    await socket.command({ type: 'presence', status: 'online' })
    expect((await server.request('POST', `/conversations/${dm}/messages`, { token: friend.accessToken, body: { content: 'now?' } })).status).toBe(201)
    const notified = await socket.next((e) => e.type === 'notification.created')
    expect(notified.notification).toMatchObject({ conversationId: dm })
  })
})
