/**
 * The embedded store: one SQLite file in the data dir. WAL lets the API read
 * while the writer commits a batch.
 */
import Database from 'better-sqlite3'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'

export type Db = Database.Database

const schema = `
CREATE TABLE IF NOT EXISTS resellers (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  token_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS operator_tokens (
  token_hash TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS installations (
  -- SLC-1001 and slc-1001 are one installation (DESIGN.md: an SLC belongs to at
  -- most one reseller); the registry keeps the spelling it was registered with.
  slc TEXT PRIMARY KEY COLLATE NOCASE,
  reseller_id TEXT NOT NULL REFERENCES resellers(id),
  customer_name TEXT NOT NULL,
  enrollment_code_hash TEXT NOT NULL,
  subscription_expires_at INTEGER,
  accepted INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS installations_by_reseller ON installations(reseller_id);
CREATE TABLE IF NOT EXISTS acceptances (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  slc TEXT NOT NULL REFERENCES installations(slc),
  accepted INTEGER NOT NULL,
  by_whom TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS servers (
  id TEXT PRIMARY KEY,
  slc TEXT NOT NULL REFERENCES installations(slc),
  name TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  heartbeat_interval_ms INTEGER NOT NULL,
  enrolled_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS servers_by_slc ON servers(slc);
CREATE TABLE IF NOT EXISTS server_keys (
  server_id TEXT NOT NULL REFERENCES servers(id),
  key_id TEXT NOT NULL,
  key BLOB NOT NULL,
  created_at INTEGER NOT NULL,
  PRIMARY KEY (server_id, key_id)
);
CREATE TABLE IF NOT EXISTS server_state (
  server_id TEXT PRIMARY KEY REFERENCES servers(id),
  last_seen_at INTEGER,
  last_seq INTEGER NOT NULL DEFAULT 0,
  unavailable_since INTEGER
);
CREATE TABLE IF NOT EXISTS conditions (
  server_id TEXT NOT NULL REFERENCES servers(id),
  kind TEXT NOT NULL,
  subject TEXT NOT NULL,
  details TEXT NOT NULL,
  raised_at INTEGER NOT NULL,
  PRIMARY KEY (server_id, kind, subject)
);
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  slc TEXT NOT NULL,
  server_id TEXT NOT NULL,
  type TEXT NOT NULL,
  kind TEXT,
  subject TEXT,
  details TEXT,
  started_at INTEGER,
  duration_ms INTEGER,
  cause TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_slc_time ON events(slc, at);
CREATE TABLE IF NOT EXISTS rejected_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event TEXT NOT NULL,
  why TEXT NOT NULL,
  at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`

export function openDb(dataDir: string): Db {
  mkdirSync(dataDir, { recursive: true })
  const db = new Database(join(dataDir, 'vigil.sqlite'))
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  db.exec(schema)
  return db
}
