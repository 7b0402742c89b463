/**
 * Every way Vigil turns input away, in one table. A refusal is logged, counted
 * under its code and never stops the stream for anybody else. Codes are stable:
 * dashboards and alerts key on them, never on the message text.
 */
export const refusalCodes = {
  // broker: connection
  'auth.bad-credentials': 'unknown username or wrong password',
  'auth.client-id-mismatch': 'the MQTT client id must equal the username',
  'auth.not-accepted': 'the installation has not accepted the service, or withdrew it',
  'auth.subscription-expired': 'the installation has no active support subscription',
  'auth.will-refused': "a will message may only go to the server's own topics",
  'auth.protocol': 'only MQTT 3.1.1 (protocol version 4) is served',
  'tls.handshake-failed':
    'TLS handshake failed: TLS 1.2 or newer with a trusted certificate is required',
  // broker: packets
  'publish.foreign-topic': 'a server may publish only to its own topics',
  'publish.retain-refused': 'retained messages are not accepted',
  'subscribe.forbidden': 'a server may subscribe only to its own command topic',
  'packet.too-large': 'the packet exceeds the size limit',
  'packet.protocol-error': 'the connection broke the MQTT 3.1.1 protocol and was closed',
  // pipeline
  'decode.bad-topic': 'the topic does not follow vigil/v1/<slc>/<server>/<kind>',
  'decode.heartbeat-not-empty': 'a heartbeat must be an empty message',
  'decode.bad-envelope': 'the status envelope is not valid JSON of the expected shape',
  'decrypt.unknown-key': 'no key with this key id for this server',
  'decrypt.bad-tag': 'the authentication tag must be exactly 16 bytes',
  'decrypt.failed': 'authentication failed: wrong key, tampered data or wrong topic',
  'validate.schema': 'the decrypted status does not match the schema',
  'gate.unknown-server': 'no enrolled server with this id on this installation',
  'gate.not-accepted': 'the installation has not accepted the service, or withdrew it',
  'gate.subscription-expired': 'the installation has no active support subscription',
  'gate.replay': 'the sequence number is not newer than the last accepted one',
  'gate.stale': 'the send time is too far from the receive time',
  'gate.rate-limited': 'the server sends faster than any recording server should',
} as const

export type RefusalCode = keyof typeof refusalCodes

export class Refusal extends Error {
  override readonly name = 'Refusal'

  constructor(
    readonly code: RefusalCode,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(`${code}: ${refusalCodes[code]}`)
  }
}

export function isRefusal(error: unknown): error is Refusal {
  return error instanceof Refusal
}
