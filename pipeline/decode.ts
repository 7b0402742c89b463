/** Stage 1: the topic names the server and the kind of message; the payload must fit the kind. */
import { parseEnvelope } from '../core/envelope.ts'
import { Refusal } from '../core/refusals.ts'
import { parseTopic } from '../core/topics.ts'
import type { BrokerMessage, Decoded } from './message.ts'

export function decode(message: BrokerMessage): Decoded {
  const address = parseTopic(message.topic)
  if (!address || address.kind === 'command') {
    throw new Refusal('decode.bad-topic', { topic: message.topic })
  }

  if (address.kind === 'heartbeat') {
    if (message.payload.length > 0) {
      throw new Refusal('decode.heartbeat-not-empty', { bytes: message.payload.length })
    }
    return { ...message, address, kind: 'heartbeat' }
  }

  return { ...message, address, kind: 'status', envelope: parseEnvelope(message.payload) }
}
