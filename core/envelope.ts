/**
 * End-to-end encryption of status messages (DESIGN.md, security model):
 * AES-256-GCM with a per-server key, a fresh 96-bit nonce per message (NIST
 * SP 800-38D, 8.2) and the MQTT topic as additional authenticated data, so a
 * message copied to another server's topic fails authentication.
 *
 * Wire format, UTF-8 JSON:
 *   {"v":1,"kid":"<key id>","nonce":"<b64 12 bytes>","ct":"<b64>","tag":"<b64 16 bytes>"}
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { Refusal } from './refusals.ts'

export const envelopeVersion = 1
const nonceBytes = 12
const tagBytes = 16
const keyBytes = 32

export interface Envelope {
  v: number
  kid: string
  nonce: string
  ct: string
  tag: string
}

export function seal(key: Buffer, kid: string, topic: string, plaintext: Buffer): Buffer {
  if (key.length !== keyBytes) throw new RangeError('AES-256 needs a 32-byte key')
  const nonce = randomBytes(nonceBytes)
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes })
  cipher.setAAD(Buffer.from(topic, 'utf8'))
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()])
  const envelope: Envelope = {
    v: envelopeVersion,
    kid,
    nonce: nonce.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  }
  return Buffer.from(JSON.stringify(envelope), 'utf8')
}

/** Reads the envelope without decrypting: the key id decides which key to use. */
export function parseEnvelope(payload: Buffer): Envelope {
  let value: unknown
  try {
    value = JSON.parse(payload.toString('utf8'))
  } catch {
    throw new Refusal('decode.bad-envelope', { why: 'not JSON' })
  }
  if (!isEnvelope(value)) throw new Refusal('decode.bad-envelope', { why: 'wrong shape' })
  return value
}

export function open(key: Buffer, envelope: Envelope, topic: string): Buffer {
  const nonce = Buffer.from(envelope.nonce, 'base64')
  const tag = Buffer.from(envelope.tag, 'base64')

  // Node accepts truncated GCM tags unless told otherwise; a short tag would
  // make forgery far easier, so anything but the full 16 bytes is refused.
  if (tag.length !== tagBytes) throw new Refusal('decrypt.bad-tag', { tagBytes: tag.length })
  if (nonce.length !== nonceBytes) throw new Refusal('decode.bad-envelope', { why: 'nonce' })

  const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: tagBytes })
  decipher.setAAD(Buffer.from(topic, 'utf8'))
  decipher.setAuthTag(tag)
  try {
    return Buffer.concat([decipher.update(Buffer.from(envelope.ct, 'base64')), decipher.final()])
  } catch {
    throw new Refusal('decrypt.failed')
  }
}

const base64 = /^[A-Za-z0-9+/]*={0,2}$/

function isEnvelope(value: unknown): value is Envelope {
  if (typeof value !== 'object' || value === null) return false
  const e = value as Record<string, unknown>
  return (
    e.v === envelopeVersion &&
    typeof e.kid === 'string' &&
    e.kid.length > 0 &&
    e.kid.length <= 64 &&
    [e.nonce, e.ct, e.tag].every((s) => typeof s === 'string' && base64.test(s))
  )
}
