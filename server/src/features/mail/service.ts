import nodemailer, { type Transporter } from 'nodemailer'
import { desc, eq, lt } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { mailOutbox, mailRedactions } from '../../db/schema'
import { newId } from '../../lib/crypto'
import type { Logger } from '../../logger'
import { errorFields } from '../../logger'

export interface OutgoingMail {
  to: string
  subject: string
  text: string
  kind: string
  /** Values (tokens, links) masked in the stored copy once SMTP delivered the mail. */
  secrets?: string[]
}

/** Hands a recorded mail to the `email` queue; false when no worker would take it (deliver in process then). */
export interface MailQueue {
  offer(mailId: string): Promise<boolean>
}

/**
 * Records every mail in the outbox table; sends it over SMTP when SMTP_URL is set. Without SMTP the
 * outbox is the delivery (dev mode), readable by admins. With SMTP, delivery leaves the request:
 * through the `email` queue when a worker consumes it (retried with backoff), else in this process.
 */
export class MailService {
  #transport: Transporter | null
  #inFlight = new Set<Promise<unknown>>()

  constructor(private db: Db, private log: Logger, smtpUrl: string | null, private from: string, private queue: MailQueue | null = null) {
    // Bounded, so a dead relay fails an attempt in seconds instead of holding it for minutes.
    this.#transport = smtpUrl ? nodemailer.createTransport({ url: smtpUrl, connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 30_000 }) : null
  }

  get smtpEnabled(): boolean {
    return this.#transport !== null
  }

  async send({ secrets = [], ...mail }: OutgoingMail): Promise<string> {
    const id = newId()
    // Once the mailbox has it, the outbox copy must not let an admin use someone's reset or verification link.
    const redacted = secrets.reduce((text, secret) => text.replaceAll(secret, '[redacted]'), mail.text)
    this.db.transaction((tx) => {
      tx.insert(mailOutbox).values({ id, ...mail, status: 'stored', createdAt: new Date() }).run()
      if (this.#transport && redacted !== mail.text) tx.insert(mailRedactions).values({ mailId: id, text: redacted }).run()
    })
    if (!this.#transport) return id
    if (this.queue && (await this.queue.offer(id).catch(() => false))) return id
    const attempt = this.deliver(id)
      // @NOTE: deliver() has recorded the failure on the row; the request that wrote the mail must not fail with it.
      .catch(() => undefined)
      .finally(() => this.#inFlight.delete(attempt))
    this.#inFlight.add(attempt)
    return id
  }

  /**
   * One SMTP attempt for a recorded mail (the `email` worker and the in-process path). Idempotent: a
   * mail already sent is not sent again. Throws when SMTP fails, after recording why on the row.
   */
  async deliver(mailId: string): Promise<'sent' | 'already-sent' | 'missing'> {
    if (!this.#transport) throw new Error('SMTP is not configured')
    const row = this.db.select().from(mailOutbox).where(eq(mailOutbox.id, mailId)).get()
    if (!row) return 'missing'
    if (row.status === 'sent') return 'already-sent'
    try {
      await this.#transport.sendMail({ from: this.from, to: row.to, subject: row.subject, text: row.text })
    } catch (error) {
      this.log.warn('deliver() [smtp failed]', { mailId, kind: row.kind, ...errorFields(error) })
      this.db.update(mailOutbox).set({ status: 'failed', error: error instanceof Error ? error.message : String(error) }).where(eq(mailOutbox.id, mailId)).run()
      throw error
    }
    this.db.transaction((tx) => {
      const redacted = tx.select().from(mailRedactions).where(eq(mailRedactions.mailId, mailId)).get()
      tx.update(mailOutbox).set({ status: 'sent', sentAt: new Date(), error: null, text: redacted?.text ?? row.text }).where(eq(mailOutbox.id, mailId)).run()
      tx.delete(mailRedactions).where(eq(mailRedactions.mailId, mailId)).run()
    })
    return 'sent'
  }

  list(options: { limit: number; before?: Date }) {
    const query = this.db.select().from(mailOutbox)
    return (options.before ? query.where(lt(mailOutbox.createdAt, options.before)) : query)
      .orderBy(desc(mailOutbox.createdAt))
      .limit(options.limit)
      .all()
  }

  /** Waits (bounded) for in-process deliveries, then closes the SMTP transport. */
  async close(): Promise<void> {
    if (this.#inFlight.size) await Promise.race([Promise.all(this.#inFlight), Bun.sleep(5000)])
    this.#transport?.close()
  }
}
