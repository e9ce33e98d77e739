import { and, asc, desc, eq, gt, ne } from 'drizzle-orm'
import type { Db, Tx } from '../../db/client'
import { transaction } from '../../db/client'
import { conversationMutes, listings, offers, participants, users } from '../../db/schema'
import { ConflictError, ForbiddenError, NotFoundError } from '../../errors'
import { newId } from '../../lib/crypto'
import type { ConversationAccess, ConversationRow, ParticipantRow } from '../conversations/access'
import type { Actor } from '../conversations/service'
import type { MessageService, TransactionScope } from '../messages/service'
import type { ModerationService } from '../moderation/service'
import { assertOwnedMedia } from '../files/owned-media'
import { announce, assertKnownCurrency } from './announce'
import type { CreateListingInput, CreateOfferInput, Listing, ListingStatus, Offer, OfferChange, OfferStatus, UpdateListingInput } from './model'

type ListingRow = typeof listings.$inferSelect
type OfferRow = typeof offers.$inferSelect
type SystemPoster = Pick<MessageService, 'postSystem'>
type ModerationLog = Pick<ModerationService, 'record'>

const LISTING_MOVES: Record<ListingStatus, ListingStatus[]> = { active: ['reserved', 'withdrawn'], reserved: ['active', 'sold', 'withdrawn'], sold: [], withdrawn: [] }
const OFFER_MOVES: Record<OfferStatus, OfferStatus[]> = { offered: ['accepted', 'declined', 'cancelled'], accepted: ['completed', 'cancelled'], declined: [], completed: [], cancelled: [] }

function assertMove<S extends string>(moves: Record<S, S[]>, subject: 'listing' | 'offer', from: S, to: S): void {
  if (!moves[from].includes(to)) throw new ConflictError(`This ${subject} cannot go from ${from} to ${to}`, { code: 'INVALID_TRANSITION', details: { subject, from, to } })
}

const listingNotFound = () => new NotFoundError('Listing not found', { code: 'LISTING_NOT_FOUND' })
const offerNotFound = () => new NotFoundError('Offer not found', { code: 'OFFER_NOT_FOUND' })
const sellerOnly = () => new ForbiddenError('Only the seller can do this', { code: 'SELLER_ONLY' })

/**
 * Listings in lounges and their offers (the offer row is the transaction record). Every state change
 * posts a system message into the lounge inside the same transaction, so a change and its message
 * commit or roll back together.
 */
export class MarketplaceService {
  constructor(private db: Db, private access: ConversationAccess, private messages: SystemPoster, private moderationLog?: ModerationLog) {}

  create(actor: Actor, conversationId: string, input: CreateListingInput): Listing {
    assertKnownCurrency(input.currency)
    return transaction(this.db, (tx, afterCommit) => {
      const { conversation } = this.access.assertWritable(conversationId, actor.id, tx)
      if (conversation.kind !== 'lounge') throw new ConflictError('Listings can only be posted in lounges', { code: 'NOT_A_LOUNGE', details: { kind: conversation.kind } })
      this.#assertNotMuted(tx, conversationId, actor.id)
      assertOwnedMedia(tx, actor.id, input.imageIds ?? [], ['image'], { code: 'LISTING_IMAGE_INVALID', field: 'imageIds' })
      const now = new Date()
      const row = tx.insert(listings).values({
        id: newId(),
        conversationId,
        sellerId: actor.id,
        title: input.title.trim(),
        description: input.description ?? '',
        priceMinor: input.priceMinor,
        currency: input.currency,
        imageIds: input.imageIds ?? [],
        status: 'active',
        createdAt: now,
        updatedAt: now,
      }).returning().get()
      this.#post({ tx, afterCommit }, row, announce.listed(this.#name(tx, actor.id), { title: row.title, amountMinor: row.priceMinor, currency: row.currency }))
      return toListing(row)
    })
  }

  /** Newest first; participants only. */
  list(actor: Actor, conversationId: string, status?: ListingStatus): Listing[] {
    this.access.assertParticipant(conversationId, actor.id)
    const scope = [eq(listings.conversationId, conversationId)]
    if (status) scope.push(eq(listings.status, status))
    return this.db.select().from(listings).where(and(...scope)).orderBy(desc(listings.createdAt), desc(listings.id)).all().map(toListing)
  }

  get(actor: Actor, listingId: string): Listing {
    return toListing(this.#visible(this.db, listingId, actor).listing)
  }

  /** Title, description and price, by the seller while the listing is active. */
  update(actor: Actor, listingId: string, input: UpdateListingInput): Listing {
    return transaction(this.db, (tx) => {
      const { listing } = this.#visible(tx, listingId, actor)
      if (listing.sellerId !== actor.id) throw sellerOnly()
      if (listing.status !== 'active') throw new ConflictError('Only an active listing can be edited', { code: 'LISTING_NOT_ACTIVE', details: { status: listing.status } })
      const changes = { title: input.title?.trim(), description: input.description, priceMinor: input.priceMinor, updatedAt: new Date() }
      return toListing(tx.update(listings).set(changes).where(eq(listings.id, listingId)).returning().get()!)
    })
  }

  /**
   * By the seller, or by a moderator of the lounge (its owner and moderators, platform admins).
   * Open offers are declined and an accepted one is cancelled, all in one system message. A
   * moderator's withdrawal is a moderation action and goes into the moderation log; a seller's own is not.
   */
  withdraw(actor: Actor, listingId: string, reason = ''): Listing {
    return transaction(this.db, (tx, afterCommit) => {
      const listing = tx.select().from(listings).where(eq(listings.id, listingId)).get()
      if (!listing) throw listingNotFound()
      const participant = this.#participant(tx, listing.conversationId, actor.id)
      const isSeller = listing.sellerId === actor.id
      const byModerator = !isSeller && (participant?.role === 'owner' || participant?.role === 'moderator' || actor.role === 'admin')
      if (!isSeller && !byModerator) throw participant ? sellerOnly() : listingNotFound()
      assertMove(LISTING_MOVES, 'listing', listing.status, 'withdrawn')
      const now = new Date()
      const declined = tx.update(offers).set({ status: 'declined', updatedAt: now }).where(and(eq(offers.listingId, listingId), eq(offers.status, 'offered'))).returning().all()
      const cancelled = tx.update(offers).set({ status: 'cancelled', updatedAt: now }).where(and(eq(offers.listingId, listingId), eq(offers.status, 'accepted'))).returning().all()
      const row = this.#setListing(tx, listingId, 'withdrawn', now)
      this.#post({ tx, afterCommit }, row, announce.withdrawn(this.#name(tx, actor.id), row.title, byModerator, declined.length + cancelled.length))
      if (byModerator) {
        this.moderationLog?.record(tx, listing.conversationId, actor, {
          action: 'withdraw_listing',
          targetUserId: listing.sellerId,
          details: { listingId, title: listing.title, reason, previousStatus: listing.status, closedOffers: declined.length + cancelled.length },
        })
      }
      return toListing(row)
    })
  }

  offer(actor: Actor, listingId: string, input: CreateOfferInput): Offer {
    return transaction(this.db, (tx, afterCommit) => {
      const { listing } = this.#visible(tx, listingId, actor, { writable: true })
      if (listing.sellerId === actor.id) throw new ConflictError('You cannot make an offer on your own listing', { code: 'OWN_LISTING' })
      if (listing.status !== 'active') throw new ConflictError('This listing is not taking offers', { code: 'LISTING_NOT_ACTIVE', details: { status: listing.status } })
      this.#assertNotMuted(tx, listing.conversationId, actor.id)
      const now = new Date()
      const row = tx.insert(offers).values({
        id: newId(),
        listingId,
        buyerId: actor.id,
        amountMinor: input.amountMinor,
        currency: listing.currency,
        message: input.message ?? '',
        status: 'offered',
        createdAt: now,
        updatedAt: now,
      }).returning().get()
      this.#post({ tx, afterCommit }, listing, announce.offered(this.#name(tx, actor.id), deal(listing, row)))
      return toOffer(row)
    })
  }

  /** The seller sees every offer; anyone else only their own. Oldest first. */
  offers(actor: Actor, listingId: string): Offer[] {
    const { listing } = this.#visible(this.db, listingId, actor)
    const scope = [eq(offers.listingId, listingId)]
    if (listing.sellerId !== actor.id) scope.push(eq(offers.buyerId, actor.id))
    return this.db.select().from(offers).where(and(...scope)).orderBy(asc(offers.createdAt), asc(offers.id)).all().map(toOffer)
  }

  /** Seller only: the listing is reserved for this buyer and every other open offer is declined. */
  accept(actor: Actor, offerId: string): OfferChange {
    return this.#transition(actor, offerId, 'accepted', ({ tx, scope, offer, listing, now }) => {
      assertMove(LISTING_MOVES, 'listing', listing.status, 'reserved')
      const others = tx.update(offers).set({ status: 'declined', updatedAt: now })
        .where(and(eq(offers.listingId, listing.id), eq(offers.status, 'offered'), ne(offers.id, offer.id)))
        .returning().all()
      const reserved = this.#setListing(tx, listing.id, 'reserved', now)
      this.#post(scope, listing, announce.accepted(this.#name(tx, listing.sellerId), this.#name(tx, offer.buyerId), deal(listing, offer), others.length))
      return reserved
    })
  }

  decline(actor: Actor, offerId: string): OfferChange {
    return this.#transition(actor, offerId, 'declined', ({ tx, scope, offer, listing }) => {
      this.#post(scope, listing, announce.declined(this.#name(tx, listing.sellerId), this.#name(tx, offer.buyerId), deal(listing, offer)))
      return listing
    })
  }

  /** The buyer, any time before completion; the seller only once accepted (before that, decline). An accepted deal falling through relists the item. */
  cancel(actor: Actor, offerId: string): OfferChange {
    return this.#transition(actor, offerId, 'cancelled', ({ tx, scope, offer, listing, now }) => {
      if (listing.sellerId === actor.id && offer.status !== 'accepted') {
        throw new ConflictError('The seller can only cancel an accepted offer; decline an open one', { code: 'INVALID_TRANSITION', details: { subject: 'offer', from: offer.status, to: 'cancelled' } })
      }
      const relisted = offer.status === 'accepted' && listing.status === 'reserved'
      const row = relisted ? this.#setListing(tx, listing.id, 'active', now) : listing
      this.#post(scope, listing, announce.cancelled(this.#name(tx, actor.id), deal(listing, offer), relisted))
      return row
    })
  }

  /** Seller or buyer, once accepted: the listing is sold. */
  complete(actor: Actor, offerId: string): OfferChange {
    return this.#transition(actor, offerId, 'completed', ({ tx, scope, offer, listing, now }) => {
      assertMove(LISTING_MOVES, 'listing', listing.status, 'sold')
      const sold = this.#setListing(tx, listing.id, 'sold', now)
      this.#post(scope, listing, announce.completed(this.#name(tx, offer.buyerId), deal(listing, offer)))
      return sold
    })
  }

  // ---- internals --------------------------------------------------------------------------------

  /**
   * Loads the offer for one of its two parties (anyone else gets 404, as offers are private to
   * them), checks the move, runs `apply` for the listing side and the message, then writes the offer.
   */
  #transition(actor: Actor, offerId: string, to: OfferStatus, apply: (change: { tx: Tx; scope: TransactionScope; offer: OfferRow; listing: ListingRow; now: Date }) => ListingRow): OfferChange {
    return transaction(this.db, (tx, afterCommit) => {
      const found = tx.select({ offer: offers, listing: listings }).from(offers).innerJoin(listings, eq(listings.id, offers.listingId)).where(eq(offers.id, offerId)).get()
      if (!found || (found.offer.buyerId !== actor.id && found.listing.sellerId !== actor.id)) throw offerNotFound()
      const { offer, listing } = found
      if ((to === 'accepted' || to === 'declined') && listing.sellerId !== actor.id) throw sellerOnly()
      assertMove(OFFER_MOVES, 'offer', offer.status, to)
      const now = new Date()
      const listingRow = apply({ tx, scope: { tx, afterCommit }, offer, listing, now })
      const offerRow = tx.update(offers).set({ status: to, updatedAt: now }).where(and(eq(offers.id, offerId), eq(offers.status, offer.status))).returning().get()
      // The immediate transaction holds the write lock, so this only trips if that guarantee is broken.
      if (!offerRow) throw new ConflictError('The offer changed meanwhile; retry', { code: 'OFFER_CHANGED' })
      return { offer: toOffer(offerRow), listing: toListing(listingRow) }
    })
  }

  /** A participant sees the listing; anyone else gets 404 so ids do not leak. */
  #visible(tx: Db | Tx, listingId: string, actor: Actor, options: { writable?: boolean } = {}): { listing: ListingRow; conversation: ConversationRow } {
    const listing = tx.select().from(listings).where(eq(listings.id, listingId)).get()
    if (!listing) throw listingNotFound()
    const participant = this.#participant(tx, listing.conversationId, actor.id)
    if (!participant) throw listingNotFound()
    const { conversation } = options.writable ? this.access.assertWritable(listing.conversationId, actor.id, tx) : this.access.assertParticipant(listing.conversationId, actor.id, tx)
    return { listing, conversation }
  }

  /** Listing and offering speak in the lounge, so a muted participant is refused as a send would be. */
  #assertNotMuted(tx: Tx, conversationId: string, userId: string): void {
    const mute = tx.select().from(conversationMutes)
      .where(and(eq(conversationMutes.conversationId, conversationId), eq(conversationMutes.userId, userId), gt(conversationMutes.until, new Date())))
      .get()
    if (mute) throw new ForbiddenError('You are muted in this conversation', { code: 'MUTED_IN_CONVERSATION', details: { until: mute.until.toISOString() } })
  }

  #setListing(tx: Tx, listingId: string, status: ListingStatus, now: Date): ListingRow {
    return tx.update(listings).set({ status, updatedAt: now }).where(eq(listings.id, listingId)).returning().get()!
  }

  #post(scope: TransactionScope, listing: ListingRow, content: string): void {
    this.messages.postSystem(listing.conversationId, content, scope)
  }

  #participant(tx: Db | Tx, conversationId: string, userId: string): ParticipantRow | null {
    return tx.select().from(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, userId))).get() ?? null
  }

  #name(tx: Tx, userId: string): string {
    return tx.select({ displayName: users.displayName }).from(users).where(eq(users.id, userId)).get()?.displayName ?? 'Someone'
  }
}

function deal(listing: ListingRow, offer: OfferRow) {
  return { title: listing.title, amountMinor: offer.amountMinor, currency: offer.currency }
}

function toListing(row: ListingRow): Listing {
  return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }
}

function toOffer(row: OfferRow): Offer {
  return { ...row, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() }
}
