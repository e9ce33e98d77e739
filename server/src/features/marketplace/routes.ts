import { Elysia, t } from 'elysia'
import type { AppContext } from '../../context'
import { errors } from '../../http/schemas'
import { authGuard } from '../auth/guard'
import { ConversationParams, CreateListingBody, CreateOfferBody, Listing, ListingParams, ListingQuery, Offer, OfferChange, OfferParams, UpdateListingBody, WithdrawBody } from './model'

const bearer = [{ bearer: [] }]
const SYSTEM_NOTE = 'Posts a system message (type `system`, no sender) into the lounge in the same transaction; sockets get it as `message.created`.'
const TRANSITION_NOTE = 'An illegal move answers 409 `INVALID_TRANSITION` with `details.subject` (offer or listing), `details.from` and `details.to`.'

export function marketplaceRoutes(ctx: AppContext) {
  const { marketplace } = ctx.services
  const offerAction = (action: 'accept' | 'decline' | 'cancel' | 'complete', summary: string, description: string) =>
    new Elysia({ tags: ['marketplace'] }).use(authGuard(ctx)).post(`/offers/:id/${action}`, ({ auth, params }) => marketplace[action](auth.user, params.id), {
      auth: true,
      params: OfferParams,
      response: { 200: OfferChange, ...errors(401, 403, 404, 409, 422, 429) },
      detail: { summary, description: `${description} ${SYSTEM_NOTE} ${TRANSITION_NOTE} Only the buyer and the seller see an offer; anyone else gets 404 \`OFFER_NOT_FOUND\`.`, security: bearer },
    })

  return new Elysia({ tags: ['marketplace'] })
    .use(authGuard(ctx))
    .post('/conversations/:id/listings', ({ auth, params, body, set }) => {
      set.status = 201
      return marketplace.create(auth.user, params.id, body)
    }, {
      auth: true,
      params: ConversationParams,
      body: CreateListingBody,
      response: { 201: Listing, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'List an item for sale in a lounge (participants who can post)',
        description: `Lounges only: other conversations answer 409 \`NOT_A_LOUNGE\`. Muted participants get 403 \`MUTED_IN_CONVERSATION\` as a send would. Unknown currencies answer 422 \`UNKNOWN_CURRENCY\`. \`imageIds\` are only pattern-checked until uploads land. ${SYSTEM_NOTE}`,
        security: bearer,
      },
    })
    .get('/conversations/:id/listings', ({ auth, params, query }) => marketplace.list(auth.user, params.id, query.status), {
      auth: true,
      params: ConversationParams,
      query: ListingQuery,
      response: { 200: t.Array(Listing), ...errors(401, 404, 422, 429) },
      detail: { summary: "A lounge's listings, newest first, optionally by status (participants)", security: bearer },
    })
    .get('/listings/:id', ({ auth, params }) => marketplace.get(auth.user, params.id), {
      auth: true,
      params: ListingParams,
      response: { 200: Listing, ...errors(401, 404, 422, 429) },
      detail: { summary: 'One listing (participants of its lounge)', security: bearer },
    })
    .patch('/listings/:id', ({ auth, params, body }) => marketplace.update(auth.user, params.id, body), {
      auth: true,
      params: ListingParams,
      body: UpdateListingBody,
      response: { 200: Listing, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'Edit title, description or price (the seller, while active)',
        description: 'Other participants get 403 `SELLER_ONLY`; a reserved, sold or withdrawn listing answers 409 `LISTING_NOT_ACTIVE`. Edits post no system message.',
        security: bearer,
      },
    })
    .post('/listings/:id/withdraw', ({ auth, params, body }) => marketplace.withdraw(auth.user, params.id, body?.reason), {
      auth: true,
      params: ListingParams,
      body: WithdrawBody,
      response: { 200: Listing, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'Withdraw a listing (the seller, or a moderator of the lounge)',
        description: `Open offers are declined and an accepted one is cancelled. Moderators are the lounge's owner and moderators and platform admins; a moderator's withdrawal of someone else's listing is written to the moderation log (\`withdraw_listing\`, with the optional \`reason\`), a seller's own is not. ${SYSTEM_NOTE} ${TRANSITION_NOTE}`,
        security: bearer,
      },
    })
    .post('/listings/:id/offers', ({ auth, params, body, set }) => {
      set.status = 201
      return marketplace.offer(auth.user, params.id, body)
    }, {
      auth: true,
      params: ListingParams,
      body: CreateOfferBody,
      response: { 201: Offer, ...errors(401, 403, 404, 409, 413, 422, 429) },
      detail: {
        summary: 'Make an offer in the listing currency (participants other than the seller)',
        description: `The seller gets 409 \`OWN_LISTING\`; a listing that is not active answers 409 \`LISTING_NOT_ACTIVE\`; muted participants 403. ${SYSTEM_NOTE}`,
        security: bearer,
      },
    })
    .get('/listings/:id/offers', ({ auth, params }) => marketplace.offers(auth.user, params.id), {
      auth: true,
      params: ListingParams,
      response: { 200: t.Array(Offer), ...errors(401, 404, 422, 429) },
      detail: { summary: 'Offers on a listing, oldest first: all of them for the seller, your own for anyone else', security: bearer },
    })
    .use(offerAction('accept', 'Accept an offer (the seller): the listing is reserved, other open offers declined', 'Needs an open offer on an active listing; the other open offers are declined in the same change.'))
    .use(offerAction('decline', 'Decline an open offer (the seller)', 'Only open offers can be declined.'))
    .use(offerAction('cancel', 'Cancel an offer (the buyer before completion, the seller once accepted)', 'Cancelling an accepted offer puts the listing back to active. The seller declines, rather than cancels, an open offer.'))
    .use(offerAction('complete', 'Complete an accepted offer (seller or buyer): the listing is sold', 'Only an accepted offer can be completed.'))
}
