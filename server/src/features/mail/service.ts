import nodemailer, { type Transporter } from 'nodemailer'
import { desc, eq, lt } from 'drizzle-orm'
import type { Db } from '../../db/client'
import { mailOutbox } from '../../db/schema'
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

/**
 * Records every mail in the outbox table; sends it over SMTP when SMTP_URL is set. Without SMTP the
 * outbox is the delivery (dev mode), readable by admins.
 */
export class MailService {
  #transport: Transporter | null

  constructor(private db: Db, private log: Logger, smtpUrl: string | null, private from: string) {
    this.#transport = smtpUrl ? nodemailer.createTransport(smtpUrl) : null
  }

  get smtpEnabled(): boolean {
    return this.#transport !== null
  }

  async send({ secrets = [], ...mail }: OutgoingMail): Promise<string> {
    const id = newId()
    this.db.insert(mailOutbox).values({ id, ...mail, status: 'stored', createdAt: new Date() }).run()
    if (!this.#transport) return id
    try {
      await this.#transport.sendMail({ from: this.from, to: mail.to, subject: mail.subject, text: mail.text })
      // Once the mailbox has it, the outbox copy must not let an admin use someone's reset or verification link.
      const redacted = secrets.reduce((text, secret) => text.replaceAll(secret, '[redacted]'), mail.text)
      this.db.update(mailOutbox).set({ status: 'sent', sentAt: new Date(), text: redacted }).where(eq(mailOutbox.id, id)).run()
    } catch (error) {
      this.log.warn('send() [smtp failed]', { mailId: id, kind: mail.kind, ...errorFields(error) })
      this.db.update(mailOutbox).set({ status: 'failed', error: error instanceof Error ? error.message : String(error) }).where(eq(mailOutbox.id, id)).run()
    }
    return id
  }

  list(options: { limit: number; before?: Date }) {
    const query = this.db.select().from(mailOutbox)
    return (options.before ? query.where(lt(mailOutbox.createdAt, options.before)) : query)
      .orderBy(desc(mailOutbox.createdAt))
      .limit(options.limit)
      .all()
  }

  close(): void {
    this.#transport?.close()
  }
}
