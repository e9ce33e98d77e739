import { eq } from 'drizzle-orm'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { files, messageAttachments, messages } from '../../db/schema'
import { newId } from '../../lib/crypto'
import { synthesizeOffline } from '../../ai/offline-tts'
import { createStorage } from '../../storage/storage'
import type { Session, TestServer } from '../../../test/harness'

/**
 * Test helper: a voice message whose audio is `sentence` spoken by Festival, stored through the
 * file storage and attached the way uploads attach files (written straight to the database).
 */
export async function sendVoiceMessage(server: TestServer, sender: Session, conversationId: string, sentence: string): Promise<{ messageId: string; fileId: string }> {
  const sent = await server.request('POST', `/conversations/${conversationId}/messages`, { token: sender.accessToken, body: { content: '🎤 Voice message' } })
  if (sent.status !== 201) throw new Error(`send failed: ${sent.status} ${JSON.stringify(sent.body)}`)
  const messageId = sent.body.id as string
  const dir = await mkdtemp(join(tmpdir(), 'parley-voice-'))
  const path = join(dir, 'voice.wav')
  await Bun.write(path, (await synthesizeOffline(sentence)).audio)
  const size = Bun.file(path).size
  const fileId = newId()
  const key = `files/${fileId}/original`
  await createStorage(server.ctx.config.files).putFile(key, path, 'audio/wav')
  await rm(dir, { recursive: true, force: true })
  const now = new Date()
  const { db } = server.ctx
  db.insert(files).values({ id: fileId, ownerId: sender.user.id, name: 'voice.wav', mime: 'audio/wav', kind: 'audio', voice: true, status: 'ready', size, uploadOffset: size, storageKey: key, createdAt: now, completedAt: now }).run()
  db.insert(messageAttachments).values({ messageId, fileId, position: 0 }).run()
  db.update(messages).set({ type: 'voice' }).where(eq(messages.id, messageId)).run()
  return { messageId, fileId }
}
