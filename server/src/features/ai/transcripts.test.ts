import { afterAll, beforeAll, expect, test } from 'bun:test'
import { expectErrorShape, startServer, type Session, type TestServer } from '../../../test/harness'
import { seedConversation } from '../../../test/fixtures'
import { TestSocket } from '../../../test/socket'
import { sendVoiceMessage } from './voice-kit'

const SENTENCE = 'hello world this is a test of the interview system'
let server: TestServer
let alice: Session
let bob: Session
let outsider: Session
let conversationId: string

beforeAll(async () => {
  // No provider and no worker consuming the queue: pocketsphinx runs inside the API process.
  server = await startServer()
  ;[alice, bob, outsider] = await Promise.all([server.register(), server.register(), server.register()])
  conversationId = seedConversation(server, [alice, bob])
})
afterAll(() => server.stop())

test('a voice message is transcribed offline, announced to members, stored and searchable by members only', async () => {
  const { messageId, fileId } = await sendVoiceMessage(server, alice, conversationId, SENTENCE)
  const socket = await TestSocket.ready(server.url, bob.accessToken)
  try {
    const requested = await server.request('POST', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: bob.accessToken })
    expect(requested.status).toBe(202)
    expect(requested.body).toMatchObject({ messageId, conversationId, fileId, status: 'pending', text: '' })

    const event = await socket.next((e) => e.type === 'message.transcribed' && e.transcript.messageId === messageId, 20_000)
    expect(event.transcript.status).toBe('done')
    expect(event.transcript.method).toBe('pocketsphinx')
    const words = event.transcript.text.split(' ')
    expect(SENTENCE.split(' ').filter((w) => words.includes(w)).length).toBeGreaterThanOrEqual(8)
    expect(event.transcript.words.length).toBeGreaterThanOrEqual(8)
  } finally {
    socket.close()
  }

  const stored = await server.request('GET', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: alice.accessToken })
  expect(stored.status).toBe(200)
  expect(stored.body.status).toBe('done')
  expect(stored.body.text).toContain('interview system')

  // Asking again returns the finished transcript; nothing runs twice.
  const again = await server.request('POST', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: alice.accessToken })
  expect(again.status).toBe(200)
  expect(again.body.updatedAt).toBe(stored.body.updatedAt)

  const found = await server.request('GET', '/ai/transcripts/search?q=interview', { token: alice.accessToken })
  expect(found.status).toBe(200)
  expect(found.body.results.map((r: any) => r.transcript.messageId)).toEqual([messageId])
  expect(found.body.results[0].snippet).toContain('<mark>interview</mark>')
  const hidden = await server.request('GET', '/ai/transcripts/search?q=interview', { token: outsider.accessToken })
  expect(hidden.body.results).toEqual([])
  const tooShort = await server.request('GET', '/ai/transcripts/search?q=hi', { token: alice.accessToken })
  expect(tooShort.status).toBe(422)

  // Deleting the voice message takes the transcript out of reach and out of search.
  const deleted = await server.request('DELETE', `/conversations/${conversationId}/messages/${messageId}`, { token: alice.accessToken })
  expect(deleted.status).toBe(200)
  expect((await server.request('GET', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: bob.accessToken })).status).toBe(404)
  expect((await server.request('GET', '/ai/transcripts/search?q=interview', { token: bob.accessToken })).body.results).toEqual([])
})

test('outsiders cannot request or read a transcript; a text message has no audio', async () => {
  const { messageId } = await sendVoiceMessage(server, bob, conversationId, 'short test')
  const forbidden = await server.request('POST', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: outsider.accessToken })
  expect(forbidden.status).toBe(404)
  expectErrorShape(forbidden.body, 'CONVERSATION_NOT_FOUND')
  const unread = await server.request('GET', `/conversations/${conversationId}/messages/${messageId}/transcript`, { token: alice.accessToken })
  expect(unread.status).toBe(404)
  expectErrorShape(unread.body, 'TRANSCRIPT_NOT_FOUND')

  const text = await server.request('POST', `/conversations/${conversationId}/messages`, { token: alice.accessToken, body: { content: 'just text' } })
  const noAudio = await server.request('POST', `/conversations/${conversationId}/messages/${text.body.id}/transcript`, { token: alice.accessToken })
  expect(noAudio.status).toBe(400)
  expectErrorShape(noAudio.body, 'NO_AUDIO')
})
