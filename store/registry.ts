/**
 * Who is who: resellers, operator tokens, installations (by SLC), their
 * recording servers, credentials and keys. Every secret is stored hashed; the
 * AES keys are the exception, since Vigil must decrypt with them.
 */
import type Database from 'better-sqlite3'
import { randomBytes } from 'node:crypto'
import { isSafeText, unsafeTextMessage } from '../core/text.ts'
import { slcPattern } from '../core/topics.ts'
import {
  enrollmentCodeMatches,
  enrollmentCodeMatchesAsync,
  hashEnrollmentCode,
  hashSecret,
  newEnrollmentCode,
  newId,
  newSecret,
  secretMatches,
} from '../core/secrets.ts'
import type { Db } from './db.ts'
import { StoreError } from './errors.ts'

export interface Reseller {
  id: string
  name: string
  createdAt: number
}

export interface Installation {
  slc: string
  resellerId: string
  customerName: string
  subscriptionExpiresAt: number | null
  accepted: boolean
  createdAt: number
}

/** What the broker and the gate need to know about a server, in one read. */
export interface ServerRecord {
  id: string
  slc: string
  name: string
  resellerId: string
  heartbeatIntervalMs: number
  accepted: boolean
  subscriptionExpiresAt: number | null
}

export interface EnrollInput {
  slc: string
  enrollmentCode: string
  serverName: string
  acceptedBy: string
  heartbeatIntervalMs: number
}

export interface Enrollment {
  /** The SLC as registered, whatever its case in the request: topics are built from it. */
  slc: string
  serverId: string
  username: string
  password: string
  keyId: string
  key: string
  heartbeatIntervalMs: number
}

const maxNameLength = 200

type Statement = Database.Statement<unknown[]>

const serverSql = `SELECT s.id, s.slc, s.name, i.reseller_id AS resellerId,
    s.heartbeat_interval_ms AS heartbeatIntervalMs, i.accepted,
    i.subscription_expires_at AS subscriptionExpiresAt
  FROM servers s JOIN installations i ON i.slc = s.slc WHERE s.id = ?`

export class Registry {
  readonly #db: Db
  readonly #now: () => number
  // Prepared once: the broker's login and the decrypt stage run these for every MQTT message.
  readonly #serverById: Statement
  readonly #secretById: Statement
  readonly #keyById: Statement

  constructor(db: Db, now: () => number = Date.now) {
    this.#db = db
    this.#now = now
    this.#serverById = db.prepare(serverSql)
    this.#secretById = db.prepare('SELECT secret_hash AS hash FROM servers WHERE id = ?')
    this.#keyById = db.prepare('SELECT key FROM server_keys WHERE server_id = ? AND key_id = ?')
  }

  createReseller(name: string): { reseller: Reseller; token: string } {
    const clean = checkName(name, 'reseller name')
    const token = newSecret('vgr')
    const reseller = { id: newId('r'), name: clean, createdAt: this.#now() }
    try {
      this.#db
        .prepare('INSERT INTO resellers (id, name, token_hash, created_at) VALUES (?, ?, ?, ?)')
        .run(reseller.id, reseller.name, hashSecret(token), reseller.createdAt)
    } catch (error) {
      if (isUniqueViolation(error)) throw new StoreError('name-taken', `reseller "${clean}" exists`)
      throw error
    }
    return { reseller, token }
  }

  listResellers(): Reseller[] {
    return this.#db
      .prepare('SELECT id, name, created_at AS createdAt FROM resellers ORDER BY name')
      .all() as Reseller[]
  }

  resellerByName(name: string): Reseller | undefined {
    return this.#db
      .prepare('SELECT id, name, created_at AS createdAt FROM resellers WHERE name = ?')
      .get(name) as Reseller | undefined
  }

  resellerByToken(token: string): Reseller | undefined {
    return this.#db
      .prepare('SELECT id, name, created_at AS createdAt FROM resellers WHERE token_hash = ?')
      .get(hashSecret(token)) as Reseller | undefined
  }

  /** A new API token for the reseller; the old one stops working with this write. */
  renewResellerToken(name: string): { reseller: Reseller; token: string } {
    const reseller = this.resellerByName(name.trim())
    if (!reseller) throw new StoreError('not-found', `no reseller "${name}"`)
    const token = newSecret('vgr')
    this.#db
      .prepare('UPDATE resellers SET token_hash = ? WHERE id = ?')
      .run(hashSecret(token), reseller.id)
    return { reseller, token }
  }

  createOperatorToken(label: string): string {
    const token = newSecret('vgo')
    this.#db
      .prepare('INSERT INTO operator_tokens (token_hash, label, created_at) VALUES (?, ?, ?)')
      .run(hashSecret(token), checkName(label, 'label'), this.#now())
    return token
  }

  isOperatorToken(token: string): boolean {
    return !!this.#db
      .prepare('SELECT 1 FROM operator_tokens WHERE token_hash = ?')
      .get(hashSecret(token))
  }

  registerInstallation(resellerId: string, slc: string, customerName: string) {
    if (!slcPattern.test(slc)) {
      throw new StoreError('invalid-input', 'an SLC is 3-64 letters, digits, ".", "_" or "-"')
    }
    const code = newEnrollmentCode()
    try {
      this.#db
        .prepare(
          `INSERT INTO installations (slc, reseller_id, customer_name, enrollment_code_hash,
             created_at) VALUES (?, ?, ?, ?, ?)`,
        )
        .run(
          slc,
          resellerId,
          checkName(customerName, 'customer name'),
          hashEnrollmentCode(code),
          this.#now(),
        )
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new StoreError('slc-taken', `SLC ${slc} is already registered by a reseller`)
      }
      throw error
    }
    return { installation: this.installation(slc)!, enrollmentCode: code }
  }

  /** A fresh code for the reseller's own installation; the old one stops working. */
  renewEnrollmentCode(resellerId: string, slc: string): string {
    const code = newEnrollmentCode()
    const result = this.#db
      .prepare(
        'UPDATE installations SET enrollment_code_hash = ? WHERE slc = ? AND reseller_id = ?',
      )
      .run(hashEnrollmentCode(code), slc, resellerId)
    if (result.changes === 0) throw new StoreError('not-found', `no installation ${slc}`)
    return code
  }

  installation(slc: string): Installation | undefined {
    const row = this.#db
      .prepare(
        `SELECT slc, reseller_id AS resellerId, customer_name AS customerName,
           subscription_expires_at AS subscriptionExpiresAt, accepted, created_at AS createdAt
         FROM installations WHERE slc = ?`,
      )
      .get(slc) as (Omit<Installation, 'accepted'> & { accepted: number }) | undefined
    return row && { ...row, accepted: row.accepted === 1 }
  }

  setSubscription(slc: string, expiresAt: number | null): Installation {
    const result = this.#db
      .prepare('UPDATE installations SET subscription_expires_at = ? WHERE slc = ?')
      .run(expiresAt, slc)
    if (result.changes === 0) throw new StoreError('not-found', `no installation ${slc}`)
    return this.installation(slc)!
  }

  /** Opt-in or withdrawal at the site, recorded with who and when (DESIGN.md). */
  setAcceptance(slc: string, accepted: boolean, byWhom: string): void {
    const by = checkName(byWhom, 'who accepted')
    this.#db.transaction(() => {
      const canonical = this.canonicalSlc(slc)
      if (!canonical) throw new StoreError('not-found', `no installation ${slc}`)
      this.#db
        .prepare('UPDATE installations SET accepted = ? WHERE slc = ?')
        .run(accepted ? 1 : 0, canonical)
      this.#db
        .prepare('INSERT INTO acceptances (slc, accepted, by_whom, at) VALUES (?, ?, ?, ?)')
        .run(canonical, accepted ? 1 : 0, by, this.#now())
    })()
  }

  acceptanceLog(slc: string) {
    return this.#db
      .prepare('SELECT accepted, by_whom AS byWhom, at FROM acceptances WHERE slc = ? ORDER BY id')
      .all(this.canonicalSlc(slc) ?? slc) as Array<{ accepted: number; byWhom: string; at: number }>
  }

  /**
   * The SLC as registered. SLCs compare without regard to case (the column is
   * NOCASE), but the other tables, the topics and the broker's checks use this
   * one spelling.
   */
  canonicalSlc(slc: string): string | undefined {
    const row = this.#db.prepare('SELECT slc FROM installations WHERE slc = ?').get(slc) as
      { slc: string } | undefined
    return row?.slc
  }

  /**
   * Enrollment: the site proves it knows the installation's code, accepts the
   * service, and receives this server's own credentials and key.
   */
  enroll(input: EnrollInput): Enrollment {
    const target = this.#enrollmentTarget(input.slc)
    // Same answer, and the same scrypt work, for an unknown SLC and a wrong
    // code: neither the reply nor its timing tells whether an SLC is registered.
    const matches = enrollmentCodeMatches(input.enrollmentCode, target?.hash ?? decoyCodeHash())
    if (!target || !matches) throw badEnrollmentCode()
    return this.#issue({ ...input, slc: target.slc })
  }

  /** enroll() for the HTTP API: the scrypt check runs off the event loop. */
  async enrollAsync(input: EnrollInput): Promise<Enrollment> {
    const target = this.#enrollmentTarget(input.slc)
    const matches = await enrollmentCodeMatchesAsync(
      input.enrollmentCode,
      target?.hash ?? decoyCodeHash(),
    )
    if (!target || !matches) throw badEnrollmentCode()
    return this.#issue({ ...input, slc: target.slc })
  }

  #enrollmentTarget(slc: string): { slc: string; hash: string } | undefined {
    return this.#db
      .prepare('SELECT slc, enrollment_code_hash AS hash FROM installations WHERE slc = ?')
      .get(slc) as { slc: string; hash: string } | undefined
  }

  /** Issues credentials; `input.slc` is the canonical SLC. */
  #issue(input: EnrollInput): Enrollment {
    const serverId = newId('s')
    const password = newSecret('vgs')
    const keyId = 'k1'
    const key = randomBytes(32)
    const now = this.#now()

    this.#db.transaction(() => {
      this.#db
        .prepare(
          `INSERT INTO servers (id, slc, name, secret_hash, heartbeat_interval_ms, enrolled_at)
           VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(
          serverId,
          input.slc,
          checkName(input.serverName, 'server name'),
          hashSecret(password),
          input.heartbeatIntervalMs,
          now,
        )
      this.#db
        .prepare('INSERT INTO server_keys (server_id, key_id, key, created_at) VALUES (?, ?, ?, ?)')
        .run(serverId, keyId, key, now)
      this.setAcceptance(input.slc, true, input.acceptedBy)
    })()

    return {
      slc: input.slc,
      serverId,
      username: serverId,
      password,
      keyId,
      key: key.toString('base64'),
      heartbeatIntervalMs: input.heartbeatIntervalMs,
    }
  }

  server(serverId: string): ServerRecord | undefined {
    const row = this.#serverById.get(serverId) as
      (Omit<ServerRecord, 'accepted'> & { accepted: number }) | undefined
    return row && { ...row, accepted: row.accepted === 1 }
  }

  /** The server, when the password is its own; undefined for any mismatch. */
  authenticateServer(serverId: string, password: string): ServerRecord | undefined {
    const row = this.#secretById.get(serverId) as { hash: string } | undefined
    if (!row || !secretMatches(password, row.hash)) return undefined
    return this.server(serverId)
  }

  serverKey(serverId: string, keyId: string): Buffer | undefined {
    const row = this.#keyById.get(serverId, keyId) as { key: Buffer } | undefined
    return row?.key
  }

  /** A new key for a server; the previous ones stay valid until retired. */
  rotateKey(serverId: string): { keyId: string; key: string } {
    const key = randomBytes(32)
    // After a retirement the count of keys is below the highest number: counting
    // would hand out a key id that is still in use.
    const keyId = this.#db.transaction(() => {
      const next = `k${highestKeyNumber(this.keyIds(serverId)) + 1}`
      this.#db
        .prepare('INSERT INTO server_keys (server_id, key_id, key, created_at) VALUES (?, ?, ?, ?)')
        .run(serverId, next, key, this.#now())
      return next
    })()
    return { keyId, key: key.toString('base64') }
  }

  keyIds(serverId: string): string[] {
    const rows = this.#db
      .prepare(
        `SELECT key_id AS keyId FROM server_keys WHERE server_id = ?
         ORDER BY created_at, key_id`,
      )
      .all(serverId) as Array<{ keyId: string }>
    return rows.map((row) => row.keyId)
  }

  /**
   * Retires one of a server's keys: statuses sealed with it are refused from
   * now on. The last key stays, or the server could not send a status at all.
   */
  retireKey(serverId: string, keyId: string): { keyIds: string[] } {
    return this.#db.transaction(() => {
      const keyIds = this.keyIds(serverId)
      if (!keyIds.includes(keyId)) {
        throw new StoreError('not-found', `no key ${keyId} for this server`)
      }
      if (keyIds.length === 1) {
        throw new StoreError(
          'last-key',
          `${keyId} is the server's only key; rotate first, then retire it`,
        )
      }
      this.#db
        .prepare('DELETE FROM server_keys WHERE server_id = ? AND key_id = ?')
        .run(serverId, keyId)
      return { keyIds: keyIds.filter((id) => id !== keyId) }
    })()
  }

  /** Removes a server and its credentials, keys and current state; its history stays. */
  removeServer(serverId: string): ServerRecord {
    const server = this.server(serverId)
    if (!server) throw new StoreError('not-found', `no server ${serverId}`)
    this.#db.transaction(() => {
      for (const table of ['conditions', 'server_state', 'server_keys']) {
        this.#db.prepare(`DELETE FROM ${table} WHERE server_id = ?`).run(serverId)
      }
      this.#db.prepare('DELETE FROM servers WHERE id = ?').run(serverId)
    })()
    return server
  }
}

let decoyHash: string | undefined

/** The hash of a code nobody holds, checked when the SLC is unknown. */
function decoyCodeHash(): string {
  decoyHash ??= hashEnrollmentCode(newEnrollmentCode())
  return decoyHash
}

function badEnrollmentCode() {
  return new StoreError('bad-enrollment-code', 'unknown SLC or wrong enrollment code')
}

function checkName(value: string, what: string): string {
  const clean = typeof value === 'string' ? value.trim() : ''
  if (!clean || clean.length > maxNameLength) {
    throw new StoreError('invalid-input', `${what}: 1-${maxNameLength} characters`)
  }
  // The raw value: trim() would quietly drop a leading or trailing BOM.
  if (!isSafeText(value)) throw new StoreError('invalid-input', `${what}: ${unsafeTextMessage}`)
  return clean
}

function highestKeyNumber(keyIds: string[]): number {
  const numbers = keyIds.map((id) => /^k(\d{1,9})$/.exec(id)?.[1]).filter((n) => n !== undefined)
  return Math.max(0, ...numbers.map(Number))
}

function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: string }).code
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}
