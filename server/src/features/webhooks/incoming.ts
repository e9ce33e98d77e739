import { and, desc, eq, isNull } from 'drizzle-orm'
import type { Config } from '../../config'
import type { Db } from '../../db/client'
import { conversations, incomingWebhooks, participants } from '../../db/schema'
import { ForbiddenError, NotFoundError, ValidationError } from '../../errors'
import { newId, randomToken, sha256 } from '../../lib/crypto'
import type { ConversationAccess } from '../conversations/access'
import type { MessageService } from '../messages/service'
import type { MessageView } from '../messages/model'

export type IncomingRow = typeof incomingWebhooks.$inferSelect

const notFound = () => new NotFoundError('Incoming webhook not found', { code: 'INCOMING_WEBHOOK_NOT_FOUND' })

/**
 * Incoming webhooks: a secret URL that posts into one channel as a bot. Only a hash of the token is
 * stored; the URL is shown once. Channel owners and moderators, and workspace admins, manage them.
 */
export class IncomingWebhookService {
  constructor(private db: Db, private config: Config, private access: ConversationAccess, private messages: MessageService) {}

  create(conversationId: string, actorId: string, name: string): { hook: IncomingRow; url: string } {
    const conversation = this.#assertManager(conversationId, actorId)
    if (conversation.kind !== 'channel') throw new ValidationError('Incoming webhooks post into channels only', { code: 'NOT_A_CHANNEL' })
    const token = randomToken(32)
    const hook = this.db
      .insert(incomingWebhooks)
      .values({ id: newId(), conversationId, name: name.trim() || 'Webhook', tokenHash: sha256(token), createdBy: actorId, createdAt: new Date() })
      .returning()
      .get()
    return { hook, url: `${this.config.publicUrl}/hooks/incoming/${token}` }
  }

  list(conversationId: string, actorId: string): IncomingRow[] {
    this.#assertManager(conversationId, actorId)
    return this.db.select().from(incomingWebhooks).where(eq(incomingWebhooks.conversationId, conversationId)).orderBy(desc(incomingWebhooks.createdAt)).all()
  }

  /** Revoking twice is harmless; the URL stops working at once. */
  revoke(conversationId: string, hookId: string, actorId: string): void {
    this.#assertManager(conversationId, actorId)
    const hook = this.db.select().from(incomingWebhooks).where(and(eq(incomingWebhooks.id, hookId), eq(incomingWebhooks.conversationId, conversationId))).get()
    if (!hook) throw notFound()
    if (!hook.revokedAt) this.db.update(incomingWebhooks).set({ revokedAt: new Date() }).where(eq(incomingWebhooks.id, hook.id)).run()
  }

  /** Unauthenticated: the token is the credential. Unknown and revoked tokens look the same (404). */
  post(token: string, input: { text: string; username?: string }): MessageView {
    const hook = this.db.select().from(incomingWebhooks).where(and(eq(incomingWebhooks.tokenHash, sha256(token)), isNull(incomingWebhooks.revokedAt))).get()
    if (!hook) throw notFound()
    return this.messages.postAsBot(hook.conversationId, { webhookId: hook.id, name: input.username ?? hook.name, text: input.text })
  }

  #assertManager(conversationId: string, actorId: string) {
    const conversation = this.db.select().from(conversations).where(eq(conversations.id, conversationId)).get()
    const notVisible = new NotFoundError('Conversation not found', { code: 'CONVERSATION_NOT_FOUND' })
    if (!conversation) throw notVisible
    const participant = this.db.select({ role: participants.role }).from(participants).where(and(eq(participants.conversationId, conversationId), eq(participants.userId, actorId))).get()
    const workspaceRole = conversation.workspaceId ? this.access.workspaceRole(conversation.workspaceId, actorId) : null
    if (workspaceRole === 'owner' || workspaceRole === 'admin') return conversation
    if (!participant) throw notVisible
    if (participant.role !== 'owner' && participant.role !== 'moderator') throw new ForbiddenError('Only channel owners, moderators and workspace admins can manage incoming webhooks', { code: 'NOT_CHANNEL_MANAGER' })
    return conversation
  }
}
