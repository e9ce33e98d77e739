import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { eq } from 'drizzle-orm'
import { stories, users } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { openLounge, seedConversation } from '../../../test/fixtures'
import { download, png, sha256, signedUrl, uploadSimple } from './file-kit'

/** Files shown outside messages: story media and listing images. They must be the poster's own uploads, and their audience may fetch them. */
let server: TestServer
let admin: Session

beforeAll(async () => {
  server = await startServer()
  admin = await server.register() // the first account is the platform admin (lounges)
})
afterAll(() => server.stop())

const people = (n: number) => Promise.all(Array.from({ length: n }, () => server.register()))
const call = (who: Session, method: string, path: string, body?: unknown) => server.request(method, path, { token: who.accessToken, body })

async function upload(who: Session, bytes: Uint8Array, name: string): Promise<string> {
  const response = await uploadSimple(server, who, bytes, { name })
  expect(response.status).toBe(201)
  return response.body.id
}
const image = async (who: Session) => upload(who, await png(), 'photo.png')
const textFile = (who: Session) => upload(who, new TextEncoder().encode('just some notes\n'), 'notes.txt')
async function unfinished(who: Session): Promise<string> {
  const response = await call(who, 'POST', '/files/uploads', { name: 'big.png', size: 1000 })
  expect(response.status).toBe(201)
  return response.body.id
}

/** Whether `who` may fetch the file: metadata, a signed URL, and the bytes behind it. */
async function canFetch(who: Session, fileId: string): Promise<boolean> {
  const meta = await call(who, 'GET', `/files/${fileId}`)
  const url = await signedUrl(server, who, fileId)
  if (meta.status === 404 && url.status === 404) {
    expectErrorShape(url.body, 'FILE_NOT_FOUND')
    return false
  }
  expect([meta.status, url.status]).toEqual([200, 200])
  const bytes = await download(server, url.body.url)
  expect(bytes.status).toBe(200)
  return true
}

describe('story media', () => {
  test('must be a finished image or video of the author: others are 422 STORY_MEDIA_INVALID with the reason', async () => {
    const [author, other] = await people(2)
    const cases: Array<[string, string]> = [
      ['no-such-file', 'not_found'],
      [await image(other!), 'not_found'],
      [await unfinished(author!), 'not_ready'],
      [await textFile(author!), 'wrong_kind'],
    ]
    for (const [mediaId, reason] of cases) {
      const response = await call(author!, 'POST', '/stories', { kind: 'media', mediaId })
      expect(response.status, reason).toBe(422)
      expectErrorShape(response.body, 'STORY_MEDIA_INVALID')
      expect(response.body.error.details).toMatchObject({ field: 'mediaId', fileId: mediaId, reason, allowed: ['image', 'video'] })
    }
    expect(server.ctx.db.select().from(stories).where(eq(stories.authorId, author!.user.id)).all()).toEqual([])
    const ok = await call(author!, 'POST', '/stories', { kind: 'media', mediaId: await image(author!) })
    expect(ok.status).toBe(201)
  })

  test('the audience fetches it while the story lives; strangers never; expiry or a disabled author ends it', async () => {
    const [author, friend, stranger] = await people(3)
    seedConversation(server, [author!, friend!])
    const bytes = await png(120, 80)
    const fileId = await upload(author!, bytes, 'sunset.png')
    expect(await canFetch(friend!, fileId)).toBe(false)
    const story = await call(author!, 'POST', '/stories', { kind: 'media', mediaId: fileId })
    expect(story.status).toBe(201)

    expect(await canFetch(author!, fileId)).toBe(true)
    expect(await canFetch(friend!, fileId)).toBe(true)
    expect(await canFetch(stranger!, fileId)).toBe(false)
    const url = await signedUrl(server, friend!, fileId)
    expect(sha256((await download(server, url.body.url)).bytes)).toBe(sha256((await download(server, (await signedUrl(server, author!, fileId)).body.url)).bytes))

    // A URL issued while the story lived stops working with it: access is checked again at download.
    server.ctx.db.update(stories).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(stories.id, story.body.id)).run()
    expect((await download(server, url.body.url)).status).toBe(404)
    expect(await canFetch(friend!, fileId)).toBe(false)
    expect(await canFetch(author!, fileId)).toBe(true)

    const second = await call(author!, 'POST', '/stories', { kind: 'media', mediaId: fileId })
    expect(second.status).toBe(201)
    expect(await canFetch(friend!, fileId)).toBe(true)
    server.ctx.db.update(users).set({ disabledAt: new Date() }).where(eq(users.id, author!.user.id)).run()
    expect(await canFetch(friend!, fileId)).toBe(false)
  })
})

describe('listing images', () => {
  test('must be finished images of the seller: others are 422 LISTING_IMAGE_INVALID and nothing is listed', async () => {
    const [seller, other] = await people(2)
    const lounge = await openLounge(server, admin, [seller!, other!])
    const bike = { title: 'Bike', priceMinor: 100, currency: 'EUR' }
    const mine = await image(seller!)
    const cases: Array<[string[], string, string]> = [
      [[mine, 'no-such-file'], 'no-such-file', 'not_found'],
      [[await image(other!)], '', 'not_found'],
      [[await unfinished(seller!)], '', 'not_ready'],
      [[await textFile(seller!)], '', 'wrong_kind'],
    ]
    for (const [imageIds, bad, reason] of cases) {
      const response = await call(seller!, 'POST', `/conversations/${lounge}/listings`, { ...bike, imageIds })
      expect(response.status, reason).toBe(422)
      expectErrorShape(response.body, 'LISTING_IMAGE_INVALID')
      expect(response.body.error.details).toMatchObject({ field: 'imageIds', fileId: bad || imageIds[0], reason, allowed: ['image'] })
    }
    const twice = await call(seller!, 'POST', `/conversations/${lounge}/listings`, { ...bike, imageIds: [mine, mine] })
    expect(twice.status).toBe(422)
    expectErrorShape(twice.body, 'LISTING_IMAGE_INVALID')
    expect((await call(seller!, 'GET', `/conversations/${lounge}/listings`)).body).toEqual([])
    expect((await call(seller!, 'POST', `/conversations/${lounge}/listings`, { ...bike, imageIds: [mine] })).status).toBe(201)
  })

  test("the lounge's participants fetch them, whatever the listing's status; outsiders and people who left cannot", async () => {
    const [seller, buyer, outsider] = await people(3)
    const lounge = await openLounge(server, admin, [seller!, buyer!])
    const fileId = await image(seller!)
    expect(await canFetch(buyer!, fileId)).toBe(false)
    const listing = await call(seller!, 'POST', `/conversations/${lounge}/listings`, { title: 'Lamp', priceMinor: 2500, currency: 'EUR', imageIds: [fileId] })
    expect(listing.status).toBe(201)

    expect(await canFetch(buyer!, fileId)).toBe(true)
    expect(await canFetch(outsider!, fileId)).toBe(false)
    expect((await call(seller!, 'POST', `/listings/${listing.body.id}/withdraw`)).status).toBe(200)
    expect(await canFetch(buyer!, fileId)).toBe(true)

    const url = await signedUrl(server, buyer!, fileId)
    expect((await call(buyer!, 'POST', `/conversations/${lounge}/leave`)).status).toBe(204)
    expect((await download(server, url.body.url)).status).toBe(404)
    expect(await canFetch(buyer!, fileId)).toBe(false)
    // Joining the lounge is all it takes to see its listings, so the outsider may fetch now.
    expect((await call(outsider!, 'POST', `/conversations/${lounge}/join`)).status).toBe(200)
    expect(await canFetch(outsider!, fileId)).toBe(true)
  })
})
