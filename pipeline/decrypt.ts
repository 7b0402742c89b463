/** Stage 2: find the server and its key, then authenticate and decrypt the status. */
import { open } from '../core/envelope.ts'
import { Refusal } from '../core/refusals.ts'
import type { ServerRecord } from '../store/registry.ts'
import type { Decoded, Decrypted } from './message.ts'

export interface KeyRing {
  server(serverId: string): ServerRecord | undefined
  serverKey(serverId: string, keyId: string): Buffer | undefined
}

export function decrypt(message: Decoded, keys: KeyRing): Decrypted {
  const server = keys.server(message.address.serverId)
  if (!server || server.slc !== message.address.slc) {
    throw new Refusal('gate.unknown-server', { serverId: message.address.serverId })
  }
  if (message.kind === 'heartbeat') return { ...message, server }

  const key = keys.serverKey(server.id, message.envelope.kid)
  if (!key) throw new Refusal('decrypt.unknown-key', { kid: message.envelope.kid })

  // The topic is the additional data: a status replayed onto another topic fails here.
  const plaintext = open(key, message.envelope, message.topic)
  return { ...message, server, plaintext }
}
