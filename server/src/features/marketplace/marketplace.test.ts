import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { and, eq } from 'drizzle-orm'
import { conversations, listings, messages, users } from '../../db/schema'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { openLounge, seedConversation } from '../../../test/fixtures'
import { TestSocket } from '../../../test/socket'
import { png, uploadSimple } from '../files/file-kit'

let server: TestServer
let admin: Session
let mod: Session
let seller: Session
let buyer: Session
let rival: Session
let outsider: Session

beforeAll(async () => {
  server = await startServer()
  admin = await server.register() // the first account is the platform admin
  ;[mod, seller, buyer, rival, outsider] = await Promise.all([server.register(), server.register(), server.register(), server.register(), server.register()])
})
afterAll(() => server.stop())

function call(session: Session, method: string, path: string, body?: unknown) {
  return server.request(method, path, { token: session.accessToken, body })
}

/** A lounge made by the platform admin (its owner), joined over HTTP, with `mod` promoted to moderator. */
const lounge = (members: Session[] = [mod, seller, buyer, rival]) => openLounge(server, admin, members, mod)

const bike = { title: 'Road bike', description: 'Barely used', priceMinor: 12_000, currency: 'EUR' }
const list = async (id: string, body: unknown = bike) => {
  const response = await call(seller, 'POST', `/conversations/${id}/listings`, body)
  expect(response.status).toBe(201)
  return response.body
}
const offer = async (who: Session, listingId: string, amountMinor: number) => {
  const response = await call(who, 'POST', `/listings/${listingId}/offers`, { amountMinor, message: 'cash today' })
  expect(response.status).toBe(201)
  return response.body
}
/** A finished image upload of `who`: listing images must be (shared-media.test.ts covers the refusals). */
const uploadImage = async (who: Session) => {
  const response = await uploadSimple(server, who, await png(), { name: 'item.png' })
  expect(response.status).toBe(201)
  return response.body.id as string
}
const act = (who: Session, offerId: string, action: string) => call(who, 'POST', `/offers/${offerId}/${action}`)
const systemMessages = (id: string) =>
  server.ctx.db.select().from(messages).where(and(eq(messages.conversationId, id), eq(messages.type, 'system'))).orderBy(messages.seq).all()
const name = (s: Session) => server.ctx.db.select().from(users).where(eq(users.id, s.user.id)).get()!.displayName

describe('the happy path', () => {
  test('list → offer → accept → complete, each change a system message in order, live on sockets', async () => {
    const id = await lounge()
    const socket = await TestSocket.ready(server.url, buyer.accessToken)
    try {
      expect((await call(buyer, 'POST', `/conversations/${id}/messages`, { content: 'hi all' })).body.seq).toBe(1)
      const imageIds = [await uploadImage(seller), await uploadImage(seller)]
      const listing = await list(id, { ...bike, imageIds })
      expect(listing).toMatchObject({ conversationId: id, sellerId: seller.user.id, title: 'Road bike', priceMinor: 12_000, currency: 'EUR', imageIds, status: 'active' })
      expect((await call(buyer, 'GET', `/listings/${listing.id}`)).body).toEqual(listing)

      const made = await offer(buyer, listing.id, 10_050)
      expect(made).toMatchObject({ listingId: listing.id, buyerId: buyer.user.id, amountMinor: 10_050, currency: 'EUR', message: 'cash today', status: 'offered' })
      const accepted = await act(seller, made.id, 'accept')
      expect(accepted.status).toBe(200)
      expect(accepted.body.offer.status).toBe('accepted')
      expect(accepted.body.listing.status).toBe('reserved')
      const completed = await act(buyer, made.id, 'complete')
      expect(completed.status).toBe(200)
      expect(completed.body.offer.status).toBe('completed')
      expect(completed.body.listing.status).toBe('sold')

      const [sellerName, buyerName] = [name(seller), name(buyer)]
      const system = systemMessages(id)
      expect(system.map((m) => [m.seq, m.senderId, m.content])).toEqual([
        [2, null, `📦 ${sellerName} listed Road bike for €120.00`],
        [3, null, `💬 ${buyerName} offered €100.50 for Road bike`],
        [4, null, `🤝 ${sellerName} accepted ${buyerName}'s offer of €100.50 for Road bike`],
        [5, null, `✅ Road bike was sold to ${buyerName} for €100.50`],
      ])
      // Over HTTP they are ordinary history, and sockets got each one as message.created.
      const history = (await call(buyer, 'GET', `/conversations/${id}/messages`)).body.messages
      expect(history.map((m: any) => [m.seq, m.type])).toEqual([[1, 'text'], [2, 'system'], [3, 'system'], [4, 'system'], [5, 'system']])
      const live = await socket.next((e) => e.type === 'message.created' && e.message.seq === 5 && e.message.conversationId === id)
      expect(live.message).toMatchObject({ type: 'system', senderId: null, content: system[3]!.content })
      expect(socket.events.filter((e) => e.type === 'message.created' && e.message.conversationId === id).map((e) => e.message.seq)).toEqual([1, 2, 3, 4, 5])

      const sold = await call(buyer, 'GET', `/conversations/${id}/listings?status=sold`)
      expect(sold.body.map((l: any) => l.id)).toEqual([listing.id])
      expect((await call(buyer, 'GET', `/conversations/${id}/listings?status=active`)).body).toEqual([])
    } finally {
      socket.close()
    }
  })

  test('accepting one offer declines the competing ones; cancelling the deal relists the item', async () => {
    const id = await lounge()
    const listing = await list(id, { title: 'Camera', priceMinor: 50_000, currency: 'JPY' })
    const first = await offer(buyer, listing.id, 45_000)
    const second = await offer(rival, listing.id, 47_000)
    expect((await act(seller, second.id, 'accept')).body.listing.status).toBe('reserved')
    const offers = (await call(seller, 'GET', `/listings/${listing.id}/offers`)).body
    expect(offers.map((o: any) => [o.id, o.status])).toEqual([[first.id, 'declined'], [second.id, 'accepted']])
    // A buyer only sees their own.
    expect((await call(buyer, 'GET', `/listings/${listing.id}/offers`)).body.map((o: any) => o.id)).toEqual([first.id])
    // New offers wait until the listing is active again.
    const blocked = await call(buyer, 'POST', `/listings/${listing.id}/offers`, { amountMinor: 49_000 })
    expect(blocked.status).toBe(409)
    expectErrorShape(blocked.body, 'LISTING_NOT_ACTIVE')

    const cancelled = await act(seller, second.id, 'cancel')
    expect(cancelled.status).toBe(200)
    expect(cancelled.body.offer.status).toBe('cancelled')
    expect(cancelled.body.listing.status).toBe('active')
    expect(systemMessages(id).map((m) => m.content).slice(-3)).toEqual([
      `💬 ${name(rival)} offered ¥47,000 for Camera`,
      `🤝 ${name(seller)} accepted ${name(rival)}'s offer of ¥47,000 for Camera (1 other open offer declined)`,
      `↩️ ${name(seller)} cancelled the offer of ¥47,000 for Camera; it is available again`,
    ])
    expect((await offer(buyer, listing.id, 49_000)).status).toBe('offered')
  })

  test('the seller declines, the buyer cancels, the seller edits and withdraws', async () => {
    const id = await lounge()
    const listing = await list(id)
    const declinedOffer = await offer(buyer, listing.id, 9_000)
    const declined = await act(seller, declinedOffer.id, 'decline')
    expect(declined.status).toBe(200)
    expect(declined.body).toMatchObject({ offer: { status: 'declined' }, listing: { status: 'active' } })
    const withdrawnOffer = await offer(buyer, listing.id, 10_000)
    expect((await act(buyer, withdrawnOffer.id, 'cancel')).body.offer.status).toBe('cancelled')

    const edited = await call(seller, 'PATCH', `/listings/${listing.id}`, { priceMinor: 11_000, title: 'Road bike, 54 cm' })
    expect(edited.status).toBe(200)
    expect(edited.body).toMatchObject({ priceMinor: 11_000, title: 'Road bike, 54 cm', description: 'Barely used' })

    const open = await offer(rival, listing.id, 10_500)
    const withdrawn = await call(seller, 'POST', `/listings/${listing.id}/withdraw`)
    expect(withdrawn.status).toBe(200)
    expect(withdrawn.body.status).toBe('withdrawn')
    expect((await call(rival, 'GET', `/listings/${listing.id}/offers`)).body[0]).toMatchObject({ id: open.id, status: 'declined' })
    expect(systemMessages(id).map((m) => m.content.split(' ')[0])).toEqual(['📦', '💬', '✖️', '💬', '↩️', '💬', '🚫'])
    expect(systemMessages(id).at(-1)!.content).toBe(`🚫 ${name(seller)} withdrew Road bike, 54 cm (1 open offer closed)`)
    expect((await call(seller, 'PATCH', `/listings/${listing.id}`, { priceMinor: 1 })).status).toBe(409)
  })

  test('moderators and platform admins withdraw any listing; other members cannot', async () => {
    const id = await lounge()
    const first = await list(id)
    const refused = await call(buyer, 'POST', `/listings/${first.id}/withdraw`)
    expect(refused.status).toBe(403)
    expectErrorShape(refused.body, 'SELLER_ONLY')
    expect((await call(outsider, 'POST', `/listings/${first.id}/withdraw`)).status).toBe(404)
    await offer(buyer, first.id, 9_000)
    expect((await call(mod, 'POST', `/listings/${first.id}/withdraw`, { reason: 'counterfeit' })).body.status).toBe('withdrawn')
    expect(systemMessages(id).at(-1)!.content).toBe(`🚫 ${name(mod)} withdrew Road bike as a moderator (1 open offer closed)`)

    const second = await list(id)
    expect((await call(admin, 'POST', `/conversations/${id}/leave`)).status).toBe(204)
    expect((await call(admin, 'POST', `/listings/${second.id}/withdraw`)).body.status).toBe('withdrawn')
    // A seller withdrawing their own listing is no moderation action: it stays out of the log.
    const third = await list(id)
    expect((await call(seller, 'POST', `/listings/${third.id}/withdraw`)).body.status).toBe('withdrawn')

    const log = await call(mod, 'GET', `/conversations/${id}/moderation/log`)
    expect(log.status).toBe(200)
    expect(log.body.entries).toHaveLength(2)
    expect(log.body.entries.map((entry: any) => [entry.action, entry.actorId, entry.targetUserId, entry.details.listingId])).toEqual([
      ['withdraw_listing', admin.user.id, seller.user.id, second.id],
      ['withdraw_listing', mod.user.id, seller.user.id, first.id],
    ])
    expect(log.body.entries[1].details).toEqual({ listingId: first.id, title: 'Road bike', reason: 'counterfeit', previousStatus: 'active', closedOffers: 1 })
    expect(log.body.entries[0].details.reason).toBe('')
    const badReason = await call(mod, 'POST', `/listings/${third.id}/withdraw`, { reason: 'x'.repeat(501) })
    expect(badReason.status).toBe(422)
    expectErrorShape(badReason.body)
  })
})

describe('refusals', () => {
  test('illegal transitions answer 409 INVALID_TRANSITION with from and to, and post nothing', async () => {
    const id = await lounge()
    const listing = await list(id)
    const made = await offer(buyer, listing.id, 10_000)
    const cases: Array<[Session, string, string, string]> = [
      [buyer, 'complete', 'offered', 'completed'],
      [seller, 'cancel', 'offered', 'cancelled'],
    ]
    for (const [who, action, from, to] of cases) {
      const response = await act(who, made.id, action)
      expect(response.status, action).toBe(409)
      expectErrorShape(response.body, 'INVALID_TRANSITION')
      expect(response.body.error.details).toMatchObject({ subject: 'offer', from, to })
    }
    await act(seller, made.id, 'accept')
    await act(seller, made.id, 'complete')
    const seqBefore = server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()!.lastSeq
    for (const [action, to] of [['accept', 'accepted'], ['decline', 'declined'], ['cancel', 'cancelled'], ['complete', 'completed']] as const) {
      const response = await act(seller, made.id, action)
      expect(response.status, action).toBe(409)
      expect(response.body.error.details).toMatchObject({ subject: 'offer', from: 'completed', to })
    }
    const relist = await call(seller, 'POST', `/listings/${listing.id}/withdraw`)
    expect(relist.status).toBe(409)
    expect(relist.body.error.details).toEqual({ subject: 'listing', from: 'sold', to: 'withdrawn' })
    // Nothing rolled back left a message behind: the seq did not move.
    expect(server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()!.lastSeq).toBe(seqBefore)
  })

  test('a change that fails after its system message was appended rolls the message back too', async () => {
    const id = await lounge()
    const listing = await list(id)
    const made = await offer(buyer, listing.id, 10_000)
    const seqBefore = server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()!.lastSeq
    const socket = await TestSocket.ready(server.url, buyer.accessToken)
    // The offer row is written last in a transition, after the listing change and the system message.
    server.ctx.db.$client.exec(`CREATE TRIGGER fail_offer_update BEFORE UPDATE ON offers BEGIN SELECT RAISE(ABORT, 'boom'); END`)
    try {
      expect((await act(seller, made.id, 'accept')).status).toBe(500)
      await socket.settle()
    } finally {
      server.ctx.db.$client.exec('DROP TRIGGER fail_offer_update')
      socket.close()
    }
    expect(server.ctx.db.select().from(conversations).where(eq(conversations.id, id)).get()!.lastSeq).toBe(seqBefore)
    expect(systemMessages(id)).toHaveLength(2)
    expect(socket.events.some((e) => e.type === 'message.created' && e.message.seq > seqBefore)).toBe(false)
    expect((await call(seller, 'GET', `/listings/${listing.id}`)).body.status).toBe('active')
    expect((await act(seller, made.id, 'accept')).body.listing.status).toBe('reserved')
  })

  test('only the seller accepts or declines; strangers to an offer get 404', async () => {
    const id = await lounge()
    const listing = await list(id)
    const made = await offer(buyer, listing.id, 10_000)
    const self = await act(buyer, made.id, 'accept')
    expect(self.status).toBe(403)
    expectErrorShape(self.body, 'SELLER_ONLY')
    expect((await act(buyer, made.id, 'decline')).status).toBe(403)
    const stranger = await act(rival, made.id, 'accept')
    expect(stranger.status).toBe(404)
    expectErrorShape(stranger.body, 'OFFER_NOT_FOUND')
    expect((await act(outsider, made.id, 'cancel')).status).toBe(404)
    expect((await act(seller, 'no-such-offer', 'accept')).status).toBe(404)
    expect((await call(buyer, 'PATCH', `/listings/${listing.id}`, { title: 'Mine now' })).status).toBe(403)
  })

  test('not a lounge, own listing, outsiders, muted participants', async () => {
    const group = seedConversation(server, [seller, buyer])
    const notLounge = await call(seller, 'POST', `/conversations/${group}/listings`, bike)
    expect(notLounge.status).toBe(409)
    expectErrorShape(notLounge.body, 'NOT_A_LOUNGE')

    const id = await lounge()
    const listing = await list(id)
    const own = await call(seller, 'POST', `/listings/${listing.id}/offers`, { amountMinor: 1 })
    expect(own.status).toBe(409)
    expectErrorShape(own.body, 'OWN_LISTING')

    for (const [method, path, body] of [
      ['POST', `/conversations/${id}/listings`, bike],
      ['GET', `/conversations/${id}/listings`, undefined],
      ['GET', `/listings/${listing.id}`, undefined],
      ['GET', `/listings/${listing.id}/offers`, undefined],
      ['POST', `/listings/${listing.id}/offers`, { amountMinor: 5 }],
    ] as const) {
      const response = await call(outsider, method, path, body)
      expect(response.status, `${method} ${path}`).toBe(404)
      expectErrorShape(response.body)
    }

    expect((await call(mod, 'POST', `/conversations/${id}/moderation/mutes`, { userId: buyer.user.id, minutes: 5 })).status).toBe(201)
    const muted = await call(buyer, 'POST', `/conversations/${id}/listings`, bike)
    expect(muted.status).toBe(403)
    expectErrorShape(muted.body, 'MUTED_IN_CONVERSATION')
    expect((await call(buyer, 'POST', `/listings/${listing.id}/offers`, { amountMinor: 5 })).status).toBe(403)
    expect(server.ctx.db.select().from(listings).where(eq(listings.conversationId, id)).all()).toHaveLength(1)
    expect(systemMessages(id)).toHaveLength(1)
  })

  test('validation: currency, prices, lengths, images, unknown fields answer 422', async () => {
    const id = await lounge()
    const cases: Array<[unknown, string]> = [
      [{ ...bike, currency: 'eur' }, 'VALIDATION_FAILED'],
      [{ ...bike, currency: 'EURO' }, 'VALIDATION_FAILED'],
      [{ ...bike, currency: 'XYZ' }, 'UNKNOWN_CURRENCY'],
      [{ ...bike, priceMinor: -1 }, 'VALIDATION_FAILED'],
      [{ ...bike, priceMinor: 1.5 }, 'VALIDATION_FAILED'],
      [{ ...bike, priceMinor: 10 ** 12 + 1 }, 'VALIDATION_FAILED'],
      [{ ...bike, title: '' }, 'VALIDATION_FAILED'],
      [{ ...bike, title: 'x'.repeat(121) }, 'VALIDATION_FAILED'],
      [{ ...bike, description: 'x'.repeat(4001) }, 'VALIDATION_FAILED'],
      [{ ...bike, imageIds: Array.from({ length: 11 }, (_, i) => `img${i}`) }, 'VALIDATION_FAILED'],
      [{ ...bike, imageIds: ['../etc/passwd'] }, 'VALIDATION_FAILED'],
      [{ ...bike, extra: true }, 'VALIDATION_FAILED'],
    ]
    for (const [body, code] of cases) {
      const response = await call(seller, 'POST', `/conversations/${id}/listings`, body)
      expect(response.status, JSON.stringify(body).slice(0, 80)).toBe(422)
      expectErrorShape(response.body, code)
    }
    const listing = await list(id, { ...bike, priceMinor: 10 ** 12 })
    expect((await call(buyer, 'POST', `/listings/${listing.id}/offers`, { amountMinor: -5 })).status).toBe(422)
    expect((await call(seller, 'PATCH', `/listings/${listing.id}`, {})).status).toBe(422)
    expect((await call(buyer, 'GET', `/conversations/${id}/listings?status=gone`)).status).toBe(422)
    expect(systemMessages(id)).toHaveLength(1)
  })
})
