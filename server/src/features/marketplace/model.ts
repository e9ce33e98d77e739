import { t } from 'elysia'
import { Iso, strict } from '../../http/schemas'

export const MAX_PRICE_MINOR = 1_000_000_000_000
export const MAX_IMAGES = 10

export const LISTING_STATUSES = ['active', 'reserved', 'sold', 'withdrawn'] as const
export type ListingStatus = (typeof LISTING_STATUSES)[number]
export const OFFER_STATUSES = ['offered', 'accepted', 'declined', 'completed', 'cancelled'] as const
export type OfferStatus = (typeof OFFER_STATUSES)[number]

const Id = t.String({ minLength: 1, maxLength: 64 })
const Title = t.String({ minLength: 1, maxLength: 120, pattern: '\\S', description: '1–120 characters' })
const Description = t.String({ maxLength: 4000 })
const Minor = (description: string) => t.Integer({ minimum: 0, maximum: MAX_PRICE_MINOR, description })
const Currency = t.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code, upper case (EUR, USD, JPY); unknown codes answer 422 `UNKNOWN_CURRENCY`' })
const ImageId = t.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' })

export const ConversationParams = t.Object({ id: Id })
export const ListingParams = t.Object({ id: Id })
export const OfferParams = t.Object({ id: Id })

export const CreateListingBody = t.Object(
  {
    title: Title,
    description: t.Optional(Description),
    priceMinor: Minor('Price in minor units (cents; whole yen for JPY), 0–10^12'),
    currency: Currency,
    imageIds: t.Optional(
      t.Array(ImageId, {
        maxItems: MAX_IMAGES,
        description: 'Up to 10 ids of your finished image uploads (POST /files); anything else is 422 LISTING_IMAGE_INVALID. Participants of the lounge may then download them.',
      }),
    ),
  },
  { ...strict, title: 'CreateListingRequest' },
)
export type CreateListingInput = typeof CreateListingBody.static

export const UpdateListingBody = t.Object(
  { title: t.Optional(Title), description: t.Optional(Description), priceMinor: t.Optional(Minor('New price in minor units; the currency stays')) },
  { ...strict, minProperties: 1, title: 'UpdateListingRequest' },
)
export type UpdateListingInput = typeof UpdateListingBody.static

export const WithdrawBody = t.Optional(t.Object({ reason: t.Optional(t.String({ maxLength: 500, description: 'For the moderation log when a moderator withdraws' })) }, { ...strict, title: 'WithdrawListingRequest' }))

export const ListingQuery = t.Object({ status: t.Optional(t.UnionEnum(LISTING_STATUSES)) }, strict)

export const CreateOfferBody = t.Object(
  { amountMinor: Minor('Offered amount in the listing currency, minor units'), message: t.Optional(t.String({ maxLength: 1000 })) },
  { ...strict, title: 'CreateOfferRequest' },
)
export type CreateOfferInput = typeof CreateOfferBody.static

export const Listing = t.Object(
  {
    id: t.String(),
    conversationId: t.String(),
    sellerId: t.String(),
    title: t.String(),
    description: t.String(),
    priceMinor: t.Integer(),
    currency: t.String(),
    imageIds: t.Array(t.String()),
    status: t.UnionEnum(LISTING_STATUSES),
    createdAt: Iso,
    updatedAt: Iso,
  },
  { title: 'Listing' },
)
export type Listing = typeof Listing.static

export const Offer = t.Object(
  {
    id: t.String(),
    listingId: t.String(),
    buyerId: t.String(),
    amountMinor: t.Integer(),
    currency: t.String(),
    message: t.String(),
    status: t.UnionEnum(OFFER_STATUSES),
    createdAt: Iso,
    updatedAt: Iso,
  },
  { title: 'Offer' },
)
export type Offer = typeof Offer.static

/** An offer transition changes the listing too (reserved, sold, back to active). */
export const OfferChange = t.Object({ offer: Offer, listing: Listing }, { title: 'OfferChange' })
export type OfferChange = typeof OfferChange.static
