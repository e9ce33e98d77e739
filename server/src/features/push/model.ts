import { t } from 'elysia'
import { Iso, NullableIso, strict } from '../../http/schemas'

/** Oldest subscriptions beyond this many per user are dropped: browsers that were reset never unsubscribe. */
export const MAX_SUBSCRIPTIONS_PER_USER = 20
/** Characters of message text a push carries; the rest stays on the server. */
export const PUSH_PREVIEW_LENGTH = 100

const Base64Url = (description: string, maxLength: number) => t.String({ minLength: 1, maxLength, pattern: '^[A-Za-z0-9_-]+={0,2}$', description })

export const VapidPublicKey = t.Object(
  { publicKey: t.String({ description: 'The server\'s VAPID public key (uncompressed P-256 point, base64url): the `applicationServerKey` of `pushManager.subscribe()`' }) },
  { title: 'VapidPublicKey' },
)

/** What `PushSubscription.toJSON()` gives in the browser, plus an optional label. */
export const SubscribeBody = t.Object(
  {
    endpoint: t.String({ minLength: 1, maxLength: 2048, description: 'The push service URL the browser was given (https)' }),
    expirationTime: t.Optional(t.Union([t.Number({ minimum: 0 }), t.Null()], { description: 'Milliseconds since the epoch, when the browser set one' })),
    keys: t.Object(
      {
        p256dh: Base64Url('The browser\'s P-256 public key, base64url (65 bytes decoded)', 128),
        auth: Base64Url('The browser\'s auth secret, base64url (16 bytes decoded)', 64),
      },
      strict,
    ),
    userAgent: t.Optional(t.String({ maxLength: 300, description: 'A label for the subscriptions list, e.g. the browser name' })),
  },
  strict,
)
export type SubscribeInput = typeof SubscribeBody.static

export const PushSubscription = t.Object(
  {
    id: t.String(),
    endpoint: t.String(),
    userAgent: t.Union([t.String(), t.Null()]),
    expiresAt: NullableIso,
    createdAt: Iso,
    lastSuccessAt: t.Union([Iso, t.Null()], { description: 'When a push last reached the push service for it' }),
  },
  { title: 'PushSubscription' },
)
export type PushSubscriptionView = typeof PushSubscription.static

export const PushSubscriptionList = t.Object({ subscriptions: t.Array(PushSubscription) }, { title: 'PushSubscriptionList' })

export const SubscriptionIdParams = t.Object({ id: t.String({ minLength: 1, maxLength: 64 }) })

/** The decrypted body the service worker receives. */
export interface PushPayload {
  title: string
  body: string
  /** Same-origin path that opens the conversation at the message (or the notifications panel). */
  url: string
  /** Notifications with the same tag replace each other: one per conversation. */
  tag: string
  notificationId: string
  kind: string
  conversationId: string | null
  messageId: string | null
  createdAt: string
}
