/**
 * Tokens, passwords and codes. Secrets Vigil generates carry 256 bits of
 * randomness, so a plain SHA-256 is a sound way to store them (no dictionary
 * to attack); enrollment codes are short enough to type, so they get scrypt.
 */
import { createHash, randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto'

export function newSecret(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`
}

export function newId(prefix: string): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const given = Buffer.from(hashSecret(secret), 'hex')
  const stored = Buffer.from(storedHash, 'hex')
  return given.length === stored.length && timingSafeEqual(given, stored)
}

// Crockford's base32 alphabet: no I, L, O or U to misread over the phone.
const codeAlphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/** A 60-bit code in groups of four, e.g. `7K2M-QX9D-H4TR`. */
export function newEnrollmentCode(): string {
  const bytes = randomBytes(12)
  const chars = [...bytes].map((b) => codeAlphabet[b % 32]).join('')
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8, 12)}`
}

export function normaliseEnrollmentCode(code: string): string {
  return code.toUpperCase().replace(/[^0-9A-Z]/g, '')
}

export function hashEnrollmentCode(code: string): string {
  const salt = randomBytes(16)
  const key = scryptSync(normaliseEnrollmentCode(code), salt, 32)
  return `scrypt$${salt.toString('hex')}$${key.toString('hex')}`
}

export function enrollmentCodeMatches(code: string, stored: string): boolean {
  const [scheme, saltHex, keyHex] = stored.split('$')
  if (scheme !== 'scrypt' || !saltHex || !keyHex) return false
  const key = scryptSync(normaliseEnrollmentCode(code), Buffer.from(saltHex, 'hex'), 32)
  return timingSafeEqual(key, Buffer.from(keyHex, 'hex'))
}

/**
 * As enrollmentCodeMatches, on libuv's thread pool: the event loop keeps
 * serving MQTT meanwhile.
 */
export function enrollmentCodeMatchesAsync(code: string, stored: string): Promise<boolean> {
  const [scheme, saltHex, keyHex] = stored.split('$')
  if (scheme !== 'scrypt' || !saltHex || !keyHex) return Promise.resolve(false)
  return new Promise((resolve, reject) => {
    scrypt(normaliseEnrollmentCode(code), Buffer.from(saltHex, 'hex'), 32, (error, key) => {
      if (error) reject(error)
      else resolve(timingSafeEqual(key, Buffer.from(keyHex, 'hex')))
    })
  })
}
