import { Database } from 'bun:sqlite'
import { drizzle, type BunSQLiteDatabase } from 'drizzle-orm/bun-sqlite'
import { migrate } from 'drizzle-orm/bun-sqlite/migrator'
import { dirname, resolve } from 'node:path'
import { mkdirSync } from 'node:fs'
import * as schema from './schema'

export type Db = BunSQLiteDatabase<typeof schema> & { $client: Database }
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0]

export const MIGRATIONS_FOLDER = resolve(import.meta.dir, '../../../drizzle')

/** Opens the embedded database with the pragmas every process relies on, then applies migrations. */
export function openDatabase(path: string, options: { migrate?: boolean } = {}): Db {
  mkdirSync(dirname(path), { recursive: true })
  const sqlite = new Database(path, { create: true, strict: true })
  sqlite.exec('PRAGMA journal_mode = WAL')
  sqlite.exec('PRAGMA foreign_keys = ON')
  sqlite.exec('PRAGMA busy_timeout = 5000')
  sqlite.exec('PRAGMA synchronous = NORMAL')
  const db = drizzle({ client: sqlite, schema }) as Db
  if (options.migrate !== false) migrateExclusively(db, path)
  return db
}

/**
 * The API and the workers start together on a fresh database and each applies migrations; SQLite
 * refuses the second writer outright ("database is locked") instead of waiting. An exclusive lock
 * on a side file serialises them: the second one waits, then finds everything applied.
 */
function migrateExclusively(db: Db, path: string): void {
  if (path === ':memory:') return void migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  const lock = new Database(`${path}.migrate-lock`, { create: true })
  try {
    lock.exec('PRAGMA busy_timeout = 60000')
    lock.exec('BEGIN EXCLUSIVE')
    migrate(db, { migrationsFolder: MIGRATIONS_FOLDER })
  } finally {
    if (lock.inTransaction) lock.exec('COMMIT')
    lock.close()
  }
}

type Effect = () => void | Promise<void>

/**
 * Runs `work` in one transaction; effects registered with `afterCommit` run only once it committed
 * (realtime events, queued jobs, mail), never for a rolled-back write.
 */
export function transaction<T>(db: Db, work: (tx: Tx, afterCommit: (effect: Effect) => void) => T): T {
  const effects: Effect[] = []
  const result = db.transaction((tx) => work(tx, (effect) => effects.push(effect)), { behavior: 'immediate' })
  for (const effect of effects) {
    // @NOTE: an effect failing must not turn a committed write into an error response; effects log their own failures.
    Promise.resolve().then(effect).catch(() => {})
  }
  return result
}
