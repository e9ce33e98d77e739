import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { participants, users } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation, seedWorkspace } from '../../../test/fixtures'

let server: TestServer
let admin: Session
let alice: Session

beforeAll(async () => {
  server = await startServer()
  admin = await server.register() // the first account is the platform admin
  alice = await server.register()
})
afterAll(() => server.stop())

/** A tag no other test uses, so each test sees only its own people. */
const tag = () => `p${crypto.randomUUID().replace(/[^a-f]/g, '').slice(0, 7)}`

async function person(name: string): Promise<Session> {
  return server.register({ username: `${name}_dev`, displayName: `Grace ${name.toUpperCase()} Hopper`, email: `${name}.grace@example.com` })
}

async function find(who: Session, q: string): Promise<string[]> {
  const response = await server.request('GET', `/search/users?q=${encodeURIComponent(q)}`, { token: who.accessToken })
  if (response.status !== 200) throw new Error(`search failed: ${response.status} ${JSON.stringify(response.body)}`)
  return (response.body as Array<{ id: string }>).map((user) => user.id)
}

describe('people search', () => {
  test('fragments find people you share a workspace or a conversation with, by username prefix or display-name substring', async () => {
    const [coworkerTag, companionTag] = [tag(), tag()]
    const coworker = await person(coworkerTag)
    const companion = await person(companionTag)
    seedWorkspace(server, alice, [[coworker, 'member']])
    const conversationId = seedConversation(server, [alice, companion])
    expect(await find(alice, coworkerTag.slice(0, 5))).toContain(coworker.user.id)
    expect(await find(alice, `${coworkerTag}_d`)).toEqual([coworker.user.id])
    expect(await find(alice, `${companionTag.toUpperCase()} hop`)).toEqual([companion.user.id])
    const response = await server.request('GET', `/search/users?q=${coworkerTag}_dev`, { token: alice.accessToken })
    expect(response.body[0]).toEqual({ id: coworker.user.id, username: `${coworkerTag}_dev`, displayName: `Grace ${coworkerTag.toUpperCase()} Hopper`, avatarUrl: null })
    // Shared spaces work both ways, and stop counting once left.
    expect(await find(companion, alice.user.username.slice(0, 6))).toContain(alice.user.id)
    server.ctx.db.delete(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, companion.user.id))).run()
    expect(await find(alice, `${companionTag.toUpperCase()} hop`)).toEqual([])
  })

  test('someone you share nothing with is found only by exact username or complete email, and emails are never returned', async () => {
    const strangerTag = tag()
    const stranger = await person(strangerTag)
    expect(await find(alice, strangerTag)).toEqual([])
    expect(await find(alice, `${strangerTag}_d`)).toEqual([])
    expect(await find(alice, `${strangerTag.toUpperCase()} hop`)).toEqual([])
    expect(await find(alice, `${strangerTag}.grace@example`)).toEqual([])
    expect(await find(alice, `${strangerTag}.grace`)).toEqual([])
    expect(await find(alice, `${strangerTag}_dev`)).toEqual([stranger.user.id])
    expect(await find(alice, `@${strangerTag.toUpperCase()}_DEV`)).toEqual([stranger.user.id])
    expect(await find(alice, `${strangerTag}.grace@example.com`)).toEqual([stranger.user.id])
    const byEmail = await server.request('GET', `/search/users?q=${encodeURIComponent(` ${strangerTag.toUpperCase()}.GRACE@example.com `)}`, { token: alice.accessToken })
    expect(byEmail.body.map((user: { id: string }) => user.id)).toEqual([stranger.user.id])
    expect(Object.keys(byEmail.body[0]).sort()).toEqual(['avatarUrl', 'displayName', 'id', 'username'])
    // And the other way round: the stranger cannot list alice either.
    expect(await find(stranger, alice.user.username.slice(0, 6))).toEqual([])
  })

  test('platform admins search everyone, email fragments included', async () => {
    const strangerTag = tag()
    const stranger = await person(strangerTag)
    expect(await find(admin, strangerTag)).toEqual([stranger.user.id])
    expect(await find(admin, `${strangerTag.toUpperCase()} hop`)).toEqual([stranger.user.id])
    expect(await find(admin, `${strangerTag}.grace@exa`)).toEqual([stranger.user.id])
    expect(await find(alice, `${strangerTag}.grace@exa`)).toEqual([])
  })

  test('disabled accounts are never listed, not even by exact username', async () => {
    const gone = await person(tag())
    seedWorkspace(server, alice, [[gone, 'member']])
    expect(await find(alice, gone.user.username)).toEqual([gone.user.id])
    server.ctx.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, gone.user.id)).run()
    expect(await find(alice, gone.user.username)).toEqual([])
    expect(await find(admin, gone.user.username)).toEqual([])
  })

  test('LIKE wildcards are plain text, and bad input answers a typed error', async () => {
    expect(await find(alice, '%')).toEqual([])
    expect(await find(alice, 'p%_dev')).toEqual([])
    for (const q of ['%20', '%40', '']) {
      const response = await server.request('GET', `/search/users?q=${q}`, { token: alice.accessToken })
      expect(response.status).toBe(422)
      expectErrorShape(response.body)
    }
    expect((await server.request('GET', `/search/users?q=${'a'.repeat(255)}`, { token: alice.accessToken })).status).toBe(422)
    expect((await server.request('GET', '/search/users', { token: alice.accessToken })).status).toBe(422)
    const anonymous = await server.request('GET', '/search/users?q=abc')
    expect(anonymous.status).toBe(401)
    expectErrorShape(anonymous.body, 'UNAUTHORIZED')
  })
})
