import { sqliteTable, text, integer, index, uniqueIndex } from 'drizzle-orm/sqlite-core'

const timestamp = (name: string) => integer(name, { mode: 'timestamp_ms' })

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull(),
  username: text('username').notNull(),
  displayName: text('display_name').notNull(),
  passwordHash: text('password_hash'),
  role: text('role', { enum: ['admin', 'user'] }).notNull().default('user'),
  avatarUrl: text('avatar_url'),
  emailVerifiedAt: timestamp('email_verified_at'),
  disabledAt: timestamp('disabled_at'),
  mfaSecret: text('mfa_secret'),
  mfaEnabledAt: timestamp('mfa_enabled_at'),
  /** The last TOTP time step accepted; codes of that step or earlier are refused (no replay). */
  mfaLastUsedStep: integer('mfa_last_used_step'),
  /** Do-not-disturb until this time: notifications are stored but not pushed. */
  dndUntil: timestamp('dnd_until'),
  /** When the user's last socket closed (presence "last seen"). */
  lastSeenAt: timestamp('last_seen_at'),
  createdAt: timestamp('created_at').notNull(),
  updatedAt: timestamp('updated_at').notNull(),
}, (table) => [
  uniqueIndex('users_email_unique').on(table.email),
  uniqueIndex('users_username_unique').on(table.username),
])

/** A session is one refresh-token family: one device's sign-in. */
export const sessions = sqliteTable('sessions', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at').notNull(),
  lastUsedAt: timestamp('last_used_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
  revokedAt: timestamp('revoked_at'),
  revokedReason: text('revoked_reason'),
  ip: text('ip'),
  userAgent: text('user_agent'),
  method: text('method').notNull(),
}, (table) => [index('sessions_user_idx').on(table.userId)])

export const refreshTokens = sqliteTable('refresh_tokens', {
  id: text('id').primaryKey(),
  sessionId: text('session_id').notNull().references(() => sessions.id, { onDelete: 'cascade' }),
  tokenHash: text('token_hash').notNull(),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
  rotatedAt: timestamp('rotated_at'),
}, (table) => [uniqueIndex('refresh_tokens_hash_unique').on(table.tokenHash), index('refresh_tokens_session_idx').on(table.sessionId)])

/** Single-use tokens sent by mail or handed over after an OAuth redirect. */
export const oneTimeTokens = sqliteTable('one_time_tokens', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  purpose: text('purpose', { enum: ['verify_email', 'reset_password', 'oauth_exchange'] }).notNull(),
  tokenHash: text('token_hash').notNull(),
  createdAt: timestamp('created_at').notNull(),
  expiresAt: timestamp('expires_at').notNull(),
  usedAt: timestamp('used_at'),
}, (table) => [uniqueIndex('one_time_tokens_hash_unique').on(table.tokenHash), index('one_time_tokens_user_idx').on(table.userId)])

export const recoveryCodes = sqliteTable('recovery_codes', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  codeHash: text('code_hash').notNull(),
  usedAt: timestamp('used_at'),
}, (table) => [index('recovery_codes_user_idx').on(table.userId)])

export const oauthAccounts = sqliteTable('oauth_accounts', {
  id: text('id').primaryKey(),
  userId: text('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  provider: text('provider', { enum: ['google', 'github', 'microsoft'] }).notNull(),
  providerUserId: text('provider_user_id').notNull(),
  email: text('email').notNull(),
  createdAt: timestamp('created_at').notNull(),
}, (table) => [uniqueIndex('oauth_accounts_provider_unique').on(table.provider, table.providerUserId), index('oauth_accounts_user_idx').on(table.userId)])
