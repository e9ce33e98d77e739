import { eq } from 'drizzle-orm'
import webpush from 'web-push'
import type { Db } from '../../db/client'
import { pushVapidKeys } from '../../db/schema'

export interface VapidKeys {
  publicKey: string
  privateKey: string
}

const KEY_ID = 'default'

/**
 * The VAPID key pair, generated on first use and then read back forever. Several processes (API
 * instances, workers) may start together: the insert is a no-op for all but the first, and everyone
 * reads the stored pair, so no two ever sign with different keys.
 */
export function loadVapidKeys(db: Db): VapidKeys {
  const stored = db.select().from(pushVapidKeys).where(eq(pushVapidKeys.id, KEY_ID)).get()
  if (stored) return { publicKey: stored.publicKey, privateKey: stored.privateKey }
  const generated = webpush.generateVAPIDKeys()
  db.insert(pushVapidKeys).values({ id: KEY_ID, ...generated, createdAt: new Date() }).onConflictDoNothing().run()
  const kept = db.select().from(pushVapidKeys).where(eq(pushVapidKeys.id, KEY_ID)).get()!
  return { publicKey: kept.publicKey, privateKey: kept.privateKey }
}
