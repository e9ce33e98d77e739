/**
 * The baseline for bench/ws-fanout.ts: chat fan-out written the common way, Express + Socket.IO,
 * storing to the same SQLite schema (the API's migrations) with the same pragmas as the API.
 *
 *   PORT=… DATABASE_PATH=… JWT_SECRET=… bun bench/baselines/socketio-server.ts
 *
 * Kept honest rather than minimal: the handshake checks an HS256 access token and its session row,
 * a socket joins a room per conversation it takes part in, and `send` validates its payload,
 * checks membership, dedupes by clientMsgId, takes a gap-free seq, inserts the message and marks it
 * read for the sender in one immediate transaction, acks, and emits the message to the room.
 */
import { Database } from 'bun:sqlite'
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import express from 'express'
import { Server } from 'socket.io'

const secret = process.env.JWT_SECRET!
const db = new Database(process.env.DATABASE_PATH!, { strict: true })
db.exec('PRAGMA journal_mode = WAL')
db.exec('PRAGMA foreign_keys = ON')
db.exec('PRAGMA busy_timeout = 5000')
db.exec('PRAGMA synchronous = NORMAL')

const sessionOf = db.prepare<{ user_id: string; revoked_at: number | null; expires_at: number; disabled_at: number | null }, [string]>(
  'select s.user_id, s.revoked_at, s.expires_at, u.disabled_at from sessions s join users u on u.id = s.user_id where s.id = cast(? as text)',
)
const conversationsOf = db.prepare<{ conversation_id: string }, [string]>('select conversation_id from participants where user_id = cast(? as text)')
const membership = db.prepare<{ last_seq: number; archived_at: number | null }, [string, string]>(
  'select c.last_seq, c.archived_at from conversations c join participants p on p.conversation_id = c.id and p.user_id = cast(? as text) where c.id = cast(? as text)',
)
const existing = db.prepare<MessageRow, [string, string]>('select * from messages where sender_id = cast(? as text) and client_msg_id = cast(? as text)')
const bumpSeq = db.prepare('update conversations set last_seq = ?, last_message_at = ? where id = cast(? as text) and last_seq = ?')
const insertMessage = db.prepare<MessageRow, [string, string, number, string, string, string, string, number]>(
  `insert into messages (id, conversation_id, seq, sender_id, type, content, client_msg_id, mentions, created_at) values (?, ?, ?, ?, 'text', ?, ?, ?, ?) returning *`,
)
const markRead = db.prepare('update participants set last_read_seq = ? where conversation_id = cast(? as text) and user_id = cast(? as text)')

interface MessageRow {
  id: string
  conversation_id: string
  seq: number
  sender_id: string | null
  type: string
  content: string
  parent_id: string | null
  reply_count: number
  last_reply_at: number | null
  client_msg_id: string | null
  mentions: string | null
  forwarded_from_id: string | null
  edited_at: number | null
  deleted_at: number | null
  created_at: number
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/** The same JSON shape the API sends, so frames are the same size on the wire. */
function view(row: MessageRow) {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    seq: row.seq,
    senderId: row.sender_id,
    type: row.type,
    content: row.content,
    parentId: row.parent_id,
    replyCount: row.reply_count,
    lastReplyAt: iso(row.last_reply_at),
    clientMsgId: row.client_msg_id,
    mentions: row.mentions ? JSON.parse(row.mentions) : { users: [], channel: false, here: false },
    forwardedFromId: row.forwarded_from_id,
    editedAt: iso(row.edited_at),
    deletedAt: iso(row.deleted_at),
    createdAt: new Date(row.created_at).toISOString(),
    reactions: [],
    pinned: false,
  }
}

function verify(token: string): { sub: string; sid: string } | null {
  const [header, payload, signature] = token.split('.')
  if (!header || !payload || !signature) return null
  const expected = Buffer.from(createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url'))
  const actual = Buffer.from(signature)
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) return null
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  if (claims.typ !== 'access' || typeof claims.exp !== 'number' || claims.exp * 1000 <= Date.now()) return null
  return claims
}

const send = db.transaction((userId: string, input: { conversationId: string; clientMsgId: string; content: string }) => {
  const found = existing.get(userId, input.clientMsgId)
  if (found) return { row: found, created: false }
  const conversation = membership.get(userId, input.conversationId)
  if (!conversation) throw new Error('CONVERSATION_NOT_FOUND')
  if (conversation.archived_at) throw new Error('CONVERSATION_ARCHIVED')
  const now = Date.now()
  const seq = conversation.last_seq + 1
  if (bumpSeq.run(seq, now, input.conversationId, conversation.last_seq).changes !== 1) throw new Error('SEQ_CONFLICT')
  const row = insertMessage.get(Bun.randomUUIDv7(), input.conversationId, seq, userId, input.content, input.clientMsgId, JSON.stringify({ users: [], channel: false, here: false }), now)!
  markRead.run(seq, input.conversationId, userId)
  return { row, created: true }
})

const app = express()
app.get('/health', (_request, response) => {
  response.json({ status: 'ok' })
})
const http = createServer(app)
const io = new Server(http, { serveClient: false, maxHttpBufferSize: 64 * 1024 })

io.use((socket, next) => {
  const claims = typeof socket.handshake.auth?.token === 'string' ? verify(socket.handshake.auth.token) : null
  const session = claims ? sessionOf.get(claims.sid) : null
  if (!claims || !session || session.user_id !== claims.sub || session.revoked_at || session.expires_at <= Date.now() || session.disabled_at) return next(new Error('UNAUTHORIZED'))
  socket.data.userId = claims.sub
  next()
})

io.on('connection', (socket) => {
  const userId = socket.data.userId as string
  socket.join(`user:${userId}`)
  for (const { conversation_id } of conversationsOf.all(userId)) socket.join(`conv:${conversation_id}`)
  socket.on('send', (input: unknown, ack?: (reply: unknown) => void) => {
    const payload = input as { conversationId?: unknown; clientMsgId?: unknown; content?: unknown }
    const valid =
      typeof payload?.conversationId === 'string' && typeof payload.clientMsgId === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(payload.clientMsgId) &&
      typeof payload.content === 'string' && payload.content.length >= 1 && payload.content.length <= 10_000
    if (!valid) return ack?.({ error: 'INVALID_FRAME' })
    try {
      const { row, created } = send.immediate(userId, payload as { conversationId: string; clientMsgId: string; content: string })
      const message = view(row)
      ack?.({ message })
      if (created) io.to(`conv:${row.conversation_id}`).emit('message.created', { type: 'message.created', message })
    } catch (error) {
      ack?.({ error: error instanceof Error ? error.message : 'INTERNAL' })
    }
  })
})

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => console.log(`socketio-server listening on ${process.env.PORT}`))

function stop(): void {
  io.close()
  db.close()
  process.exit(0)
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
