import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { stories, storyViews, workspaceMembers } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { TestSocket } from '../../../test/socket'
import { png, uploadSimple } from '../files/file-kit'
import { purgeExpiredStories } from './purge'

let server: TestServer
const sockets: TestSocket[] = []

beforeAll(async () => {
  server = await startServer()
})
afterAll(async () => {
  for (const socket of sockets) socket.close()
  await server.stop()
})

const people = (n: number) => Promise.all(Array.from({ length: n }, () => server.register()))

/** A workspace created over REST by its owner, with the others added as member rows. */
async function shareWorkspace(owner: Session, ...members: Session[]): Promise<string> {
  const created = await server.request('POST', '/workspaces', { token: owner.accessToken, body: { name: `Stories ${crypto.randomUUID().slice(0, 8)}` } })
  expect(created.status).toBe(201)
  for (const member of members) server.ctx.db.insert(workspaceMembers).values({ workspaceId: created.body.id, userId: member.user.id, role: 'member', joinedAt: new Date() }).run()
  return created.body.id
}

const post = (who: Session, body: unknown) => server.request('POST', '/stories', { token: who.accessToken, body })
const postText = async (who: Session, text: string) => {
  const response = await post(who, { kind: 'text', text })
  expect(response.status).toBe(201)
  // Distinct creation times, so "newest first" is decided by time, not by the id tie-break.
  await Bun.sleep(3)
  return response.body.id as string
}
const feed = (who: Session) => server.request('GET', '/stories', { token: who.accessToken })
const get = (who: Session, id: string) => server.request('GET', `/stories/${id}`, { token: who.accessToken })
const view = (who: Session, id: string) => server.request('POST', `/stories/${id}/views`, { token: who.accessToken })
const viewers = (who: Session, id: string) => server.request('GET', `/stories/${id}/views`, { token: who.accessToken })
const reply = (who: Session, id: string, text: string) => server.request('POST', `/stories/${id}/replies`, { token: who.accessToken, body: { text } })
/** A finished image upload of `who`: story media must be one (shared-media.test.ts covers the refusals). */
const uploadImage = async (who: Session) => {
  const response = await uploadSimple(server, who, await png(), { name: 'story.png' })
  expect(response.status).toBe(201)
  return response.body.id as string
}
const expire = (id: string) => server.ctx.db.update(stories).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(stories.id, id)).run()

describe('creating', () => {
  test('text and media stories live for 24 hours', async () => {
    const [author] = await people(1)
    const text = await post(author!, { kind: 'text', text: 'Hello team', background: '#AABBCC' })
    expect(text.status).toBe(201)
    expect(text.body).toMatchObject({ kind: 'text', text: 'Hello team', background: '#aabbcc', mediaId: null, authorId: author!.user.id, seen: true })
    expect(Date.parse(text.body.expiresAt) - Date.parse(text.body.createdAt)).toBe(24 * 3600_000)
    const picture = await uploadImage(author!)
    const media = await post(author!, { kind: 'media', mediaId: picture, text: 'caption' })
    expect(media.status).toBe(201)
    expect(media.body).toMatchObject({ kind: 'media', mediaId: picture, text: 'caption', background: null })
    const bare = await post(author!, { kind: 'media', mediaId: await uploadImage(author!) })
    expect(bare.body.text).toBe('')
  })

  test('invalid bodies are 422 and a missing token 401', async () => {
    const [author] = await people(1)
    const invalid = [
      { kind: 'text', text: '' },
      { kind: 'text', text: 'x'.repeat(701) },
      { kind: 'text', text: 'hi', background: 'red' },
      { kind: 'text', text: 'hi', extra: true },
      { kind: 'text', text: 'hi', mediaId: 'm1' },
      { kind: 'media' },
      { kind: 'media', mediaId: '../etc/passwd' },
      { kind: 'media', mediaId: 'm1', text: 'x'.repeat(701) },
      { kind: 'poll', text: 'hi' },
    ]
    for (const body of invalid) {
      const response = await post(author!, body)
      expect(response.status, JSON.stringify(body)).toBe(422)
      expectErrorShape(response.body)
    }
    const blank = await post(author!, { kind: 'text', text: '   ' })
    expect(blank.status).toBe(422)
    expectErrorShape(blank.body, 'EMPTY_STORY')
    expect((await server.request('POST', '/stories', { body: { kind: 'text', text: 'hi' } })).status).toBe(401)
    expect((await server.request('GET', '/stories')).status).toBe(401)
  })
})

describe('audience', () => {
  test('workspace mates and conversation partners see a story; people who share nothing get 404 and an empty feed', async () => {
    const [author, colleague, partner, stranger] = await people(4)
    await shareWorkspace(author!, colleague!)
    seedConversation(server, [author!, partner!])
    // The stranger shares a workspace with the colleague only: no path to the author.
    await shareWorkspace(colleague!, stranger!)
    const id = await postText(author!, 'for my people')

    for (const who of [colleague!, partner!]) {
      const listed = await feed(who)
      expect(listed.status).toBe(200)
      expect(listed.body.map((entry: any) => entry.author.id)).toContain(author!.user.id)
      expect((await get(who, id)).body).toMatchObject({ id, text: 'for my people', seen: false })
    }
    const strangerFeed = await feed(stranger!)
    expect(strangerFeed.status).toBe(200)
    expect(strangerFeed.body).toEqual([])
    for (const response of [await get(stranger!, id), await view(stranger!, id), await viewers(stranger!, id), await reply(stranger!, id, 'hi'), await server.request('DELETE', `/stories/${id}`, { token: stranger!.accessToken })]) {
      expect(response.status).toBe(404)
      expectErrorShape(response.body, 'STORY_NOT_FOUND')
    }
    expect((await get(author!, crypto.randomUUID())).status).toBe(404)
  })

  test('feed: grouped by author, oldest first within, unseen authors first, then newest first, with seen flags', async () => {
    const [me, x, y, z] = await people(4)
    await shareWorkspace(me!, x!, y!, z!)
    const mine = await postText(me!, 'mine')
    const x1 = await postText(x!, 'x1')
    const y1 = await postText(y!, 'y1')
    const x2 = await postText(x!, 'x2')
    const z1 = await postText(z!, 'z1')
    expect((await view(me!, y1)).status).toBe(204)
    expect((await view(me!, x1)).status).toBe(204)

    const listed = await feed(me!)
    expect(listed.status).toBe(200)
    // Unseen: z (newest z1), x (newest x2). All seen: y (y1), me (mine; your own stories count as seen).
    expect(listed.body.map((entry: any) => entry.author.id)).toEqual([z!.user.id, x!.user.id, y!.user.id, me!.user.id])
    const [zEntry, xEntry, yEntry, myEntry] = listed.body
    expect(zEntry).toMatchObject({ hasUnseen: true, author: { id: z!.user.id, username: z!.user.username } })
    expect(Object.keys(zEntry.author).sort()).toEqual(['avatarUrl', 'displayName', 'id', 'username'])
    expect(xEntry.stories.map((s: any) => [s.id, s.seen])).toEqual([[x1, true], [x2, false]])
    expect(xEntry.latestAt).toBe(xEntry.stories[1].createdAt)
    expect(yEntry).toMatchObject({ hasUnseen: false, stories: [{ id: y1, seen: true }] })
    expect(myEntry).toMatchObject({ hasUnseen: false, stories: [{ id: mine, seen: true }] })
    expect(zEntry.stories.map((s: any) => s.id)).toEqual([z1])
  })
})

describe('views', () => {
  test('a view is recorded once, the author is told over the socket, and only the author sees the list', async () => {
    const [author, first, second] = await people(3)
    await shareWorkspace(author!, first!, second!)
    const id = await postText(author!, 'who is watching')
    const socket = await TestSocket.ready(server.url, author!.accessToken)
    sockets.push(socket)

    expect((await view(first!, id)).status).toBe(204)
    const event = await socket.next((e) => e.type === 'story.viewed')
    expect(event).toMatchObject({ type: 'story.viewed', storyId: id, viewerId: first!.user.id })
    expect(Number.isNaN(Date.parse(event.viewedAt))).toBe(false)
    await Bun.sleep(3)
    expect((await view(second!, id)).status).toBe(204)
    expect((await view(first!, id)).status).toBe(204)
    expect((await view(author!, id)).status).toBe(204)
    await socket.next((e) => e.type === 'story.viewed' && e.viewerId === second!.user.id)
    await socket.settle()
    expect(socket.events.filter((e) => e.type === 'story.viewed').map((e) => e.viewerId)).toEqual([first!.user.id, second!.user.id])

    const list = await viewers(author!, id)
    expect(list.status).toBe(200)
    expect(list.body.map((v: any) => v.user.id)).toEqual([second!.user.id, first!.user.id])
    expect(list.body[1].viewedAt).toBe(event.viewedAt)
    expect(server.ctx.db.select().from(storyViews).where(eq(storyViews.storyId, id)).all()).toHaveLength(2)
    expect((await get(first!, id)).body.seen).toBe(true)

    const notAuthor = await viewers(first!, id)
    expect(notAuthor.status).toBe(403)
    expectErrorShape(notAuthor.body, 'NOT_STORY_AUTHOR')
  })
})

describe('replies', () => {
  test('a reply lands in the DM with the author, quoting the story; the same DM is reused', async () => {
    const [author, fan] = await people(2)
    await shareWorkspace(author!, fan!)
    const long = `${'a'.repeat(78)} line\nbreak and more`
    const id = await postText(author!, long)

    const first = await reply(fan!, id, 'Love it')
    expect(first.status).toBe(201)
    const { conversationId, message } = first.body
    expect(message).toMatchObject({ conversationId, senderId: fan!.user.id, seq: 1 })
    expect(message.content).toBe(`> Replying to your story: "${'a'.repeat(78)} l…"\n\nLove it`)

    const dm = await server.request('GET', `/conversations/${conversationId}`, { token: author!.accessToken })
    expect(dm.status).toBe(200)
    expect(dm.body).toMatchObject({ kind: 'dm', dmPeer: { id: fan!.user.id } })
    const second = await reply(fan!, id, 'Again')
    expect(second.body.conversationId).toBe(conversationId)
    const history = await server.request('GET', `/conversations/${conversationId}/messages`, { token: author!.accessToken })
    expect(history.status).toBe(200)
    expect(history.body.messages.map((m: any) => [m.seq, m.content.split('\n\n')[1]])).toEqual([[1, 'Love it'], [2, 'Again']])

    const own = await reply(author!, id, 'me too')
    expect(own.status).toBe(409)
    expectErrorShape(own.body, 'OWN_STORY')
    expect((await reply(fan!, id, '   ')).status).toBe(400)
    expect((await server.request('POST', `/stories/${id}/replies`, { token: fan!.accessToken, body: { text: 'hi', extra: 1 } })).status).toBe(422)
  })

  test('a media story without a caption is quoted by kind', async () => {
    const [author, fan] = await people(2)
    seedConversation(server, [author!, fan!])
    const created = await post(author!, { kind: 'media', mediaId: await uploadImage(author!) })
    const response = await reply(fan!, created.body.id, 'nice')
    expect(response.status).toBe(201)
    expect(response.body.message.content).toBe('> Replying to your photo or video story\n\nnice')
  })
})

describe('deleting and expiry', () => {
  test('only the author deletes a story', async () => {
    const [author, other] = await people(2)
    await shareWorkspace(author!, other!)
    const id = await postText(author!, 'short-lived')
    await view(other!, id)
    const refused = await server.request('DELETE', `/stories/${id}`, { token: other!.accessToken })
    expect(refused.status).toBe(403)
    expect((await server.request('DELETE', `/stories/${id}`, { token: author!.accessToken })).status).toBe(204)
    expect((await get(author!, id)).status).toBe(404)
    expect(server.ctx.db.select().from(storyViews).where(eq(storyViews.storyId, id)).all()).toEqual([])
  })

  test('an expired story leaves the feed and every read at once, before any purge', async () => {
    const [author, viewer] = await people(2)
    await shareWorkspace(author!, viewer!)
    const gone = await postText(author!, 'old news')
    const live = await postText(author!, 'still here')
    expire(gone)
    for (const who of [author!, viewer!]) {
      const listed = await feed(who)
      expect(listed.body.flatMap((entry: any) => entry.stories.map((s: any) => s.id))).toEqual([live])
      expect((await get(who, gone)).status).toBe(404)
    }
    expect((await view(viewer!, gone)).status).toBe(404)
    expect((await viewers(author!, gone)).status).toBe(404)
    expect((await reply(viewer!, gone, 'late')).status).toBe(404)
    expect(server.ctx.db.select().from(stories).where(eq(stories.id, gone)).get()).toBeDefined()
  })

  test('purgeExpiredStories deletes only expired stories, with their views', async () => {
    const [author, viewer] = await people(2)
    await shareWorkspace(author!, viewer!)
    const [old1, old2, live] = [await postText(author!, 'old 1'), await postText(author!, 'old 2'), await postText(author!, 'live')]
    await view(viewer!, old1)
    await view(viewer!, live)
    // Earlier tests leave expired stories in this shared database; start from none.
    purgeExpiredStories(server.ctx.db)
    expire(old1)
    expire(old2)
    expect(purgeExpiredStories(server.ctx.db)).toBe(2)
    const remaining = server.ctx.db.select({ id: stories.id }).from(stories).where(eq(stories.authorId, author!.user.id)).all().map((r) => r.id)
    expect(remaining).toEqual([live])
    expect(server.ctx.db.select().from(storyViews).where(eq(storyViews.storyId, old1)).all()).toEqual([])
    expect(server.ctx.db.select().from(storyViews).where(eq(storyViews.storyId, live)).all()).toHaveLength(1)
    expect(purgeExpiredStories(server.ctx.db)).toBe(0)
  })
})
