import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { SMTPServer } from 'smtp-server'
import { startServer, type TestServer } from '../../../test/harness'
import { freePort } from '../../../test/redis'
import { waitFor } from '../../../test/wait'

interface ReceivedMail {
  from: string
  to: string[]
  raw: string
}

const received: ReceivedMail[] = []
let smtp: SMTPServer
let smtpPort: number
const servers: TestServer[] = []

beforeAll(async () => {
  smtpPort = await freePort()
  // A local relay like Mailpit: no TLS offered, no auth required.
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        })
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => smtp.listen(smtpPort, '127.0.0.1', resolve))
})

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()))
  await new Promise<void>((resolve) => smtp.close(() => resolve()))
})

async function apiWithSmtp(smtpUrl: string): Promise<TestServer> {
  const server = await startServer({ SMTP_URL: smtpUrl, MAIL_FROM: 'Parley Test <noreply@parley.test>' })
  servers.push(server)
  return server
}

/** Undoes quoted-printable soft line breaks and escapes, which mailers use for long lines. */
function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

describe('SMTP delivery', () => {
  test('the verification mail arrives over SMTP with recipient, subject and token, and the outbox row is sent', async () => {
    const server = await apiWithSmtp(`smtp://127.0.0.1:${smtpPort}`)
    expect(server.ctx.mail.smtpEnabled).toBe(true)
    const session = await server.register()
    const mail = await waitFor(() => received.find((m) => m.to.includes(session.user.email)), 'the mail at the SMTP server')
    expect(mail.to).toEqual([session.user.email])
    expect(mail.from).toBe('noreply@parley.test')
    const [head, ...body] = mail.raw.split(/\r?\n\r?\n/)
    expect(head).toMatch(/^Subject: Confirm your email for Parley$/m)
    expect(head).toMatch(/^From: Parley Test <noreply@parley\.test>$/m)
    expect(head).toMatch(new RegExp(`^To: ${session.user.email.replace(/\./g, '\\.')}$`, 'm'))
    const token = /Token: (\S+)/.exec(decodeQuotedPrintable(body.join('\n\n')))?.[1]
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/)

    const row = await waitFor(() => server.ctx.mail.list({ limit: 50 }).find((m) => m.to === session.user.email && m.status !== 'stored'), 'the outbox row to settle')
    expect(row).toMatchObject({ kind: 'verify_email', status: 'sent', error: null })
    // The delivered copy keeps no working link for admins who read the outbox.
    expect(row.text).toContain('[redacted]')
    expect(row.text).not.toMatch(/token=[A-Za-z0-9_-]{20,}/)
    expect(row.sentAt).toBeInstanceOf(Date)

    const verified = await server.request('POST', '/auth/verify-email', { body: { token: token! } })
    expect(verified.status).toBe(200)
  })

  test('with SMTP unreachable, registration still succeeds and the outbox row is failed with the reason', async () => {
    const deadPort = await freePort()
    const server = await apiWithSmtp(`smtp://127.0.0.1:${deadPort}`)
    const response = await server.request('POST', '/auth/register', {
      body: { email: 'no-relay@example.com', username: 'norelay', displayName: 'No Relay', password: 'correct horse battery' },
    })
    expect(response.status).toBe(201)
    expect(response.body.accessToken).toBeString()
    const row = await waitFor(() => server.ctx.mail.list({ limit: 50 }).find((m) => m.to === 'no-relay@example.com' && m.status !== 'stored'), 'the outbox row to settle')
    expect(row.status).toBe('failed')
    expect(row.error).toContain('ECONNREFUSED')
    expect(row.sentAt).toBeNull()
    expect(received.some((m) => m.to.includes('no-relay@example.com'))).toBe(false)
  })
})
