/**
 * Aedes hooks (DESIGN.md, security model). Each server logs in with its own
 * credentials, may publish only to its own heartbeat and status topics and may
 * subscribe to nothing but its own command topic. Every hook denies unless a
 * rule allows, and every denial is counted with its code.
 */
import type {
  AedesPublishPacket,
  AuthenticateError,
  Client,
  ConnectPacket,
  PublishPacket,
  Subscription,
} from 'aedes'
import { Refusal, type RefusalCode } from '../core/refusals.ts'
import type { RecordRefusal } from '../core/refusal-log.ts'
import { parseTopic, topicFor } from '../core/topics.ts'
import type { ServerRecord } from '../store/registry.ts'

export interface ServerDirectory {
  authenticateServer(serverId: string, password: string): ServerRecord | undefined
}

interface ConnectInfo {
  protocolVersion?: number
  will?: { topic: string; retain?: boolean }
}

export interface AuthHooksDeps {
  servers: ServerDirectory
  recordRefusal: RecordRefusal
  now: () => number
}

export function createAuthHooks({ servers, recordRefusal, now }: AuthHooksDeps) {
  const connects = new WeakMap<Client, ConnectInfo>()

  function refuse(code: RefusalCode, client: Client | null, fields: Record<string, unknown> = {}) {
    const refusal = new Refusal(code, fields)
    recordRefusal(refusal, { clientId: client?.id, ...fields })
    return refusal
  }

  function preConnect(
    client: Client,
    packet: ConnectPacket,
    done: (error: Error | null, success: boolean) => void,
  ) {
    connects.set(client, { protocolVersion: packet.protocolVersion, will: packet.will })
    // Counted here: Aedes answers MQTT 5 itself (CONNACK 1) and never calls authenticate.
    if (packet.protocolVersion !== 4) {
      const refusal = refuse('auth.protocol', client, {
        clientId: packet.clientId,
        version: packet.protocolVersion,
      })
      if (packet.protocolVersion === 3) return refuseProtocolVersion(client, refusal, done)
    }
    done(null, true)
  }

  function authenticate(
    client: Client,
    username: Readonly<string> | undefined,
    password: Readonly<Buffer> | undefined,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ) {
    const deny = (code: RefusalCode, returnCode: number, fields: Record<string, unknown> = {}) => {
      const error = refuse(code, client, { username, ...fields }) as unknown as AuthenticateError
      error.returnCode = returnCode
      done(error, false)
    }

    const info = connects.get(client)
    // preConnect has answered and counted every other version; this only keeps them out.
    if (info?.protocolVersion !== 4) {
      const error = new Refusal('auth.protocol', { version: info?.protocolVersion })
      return done(Object.assign(error, { returnCode: 5 }) as unknown as AuthenticateError, false)
    }

    const server =
      username && password
        ? servers.authenticateServer(username, password.toString('utf8'))
        : undefined
    if (!server) return deny('auth.bad-credentials', 4)
    if (client.id !== server.id) return deny('auth.client-id-mismatch', 2)
    if (!server.accepted) return deny('auth.not-accepted', 5, { slc: server.slc })
    if (server.subscriptionExpiresAt === null || server.subscriptionExpiresAt <= now()) {
      return deny('auth.subscription-expired', 5, { slc: server.slc })
    }
    // Will messages get the publish rules at connect time, and stricter ones: a
    // will is published when the link dies, so on the heartbeat topic it would
    // report a sign of life at the moment of death. Only the server's own status
    // topic may carry one, never retained.
    const willTopic = info.will?.topic
    if (
      willTopic !== undefined &&
      (info.will!.retain || willTopic !== topicFor(server.slc, server.id, 'status'))
    ) {
      return deny('auth.will-refused', 5, { topic: willTopic })
    }

    identities.set(client, server)
    done(null, true)
  }

  const identities = new WeakMap<Client, ServerRecord>()

  function authorizePublish(
    client: Client | null,
    packet: PublishPacket,
    done: (e?: Error | null) => void,
  ) {
    const server = client ? identities.get(client) : undefined
    if (!server || !isOwnTelemetryTopic(server, packet.topic)) {
      return done(refuse('publish.foreign-topic', client, { topic: packet.topic }))
    }
    if (packet.retain)
      return done(refuse('publish.retain-refused', client, { topic: packet.topic }))
    done(null)
  }

  function authorizeSubscribe(
    client: Client | null,
    subscription: Subscription,
    done: (e: Error | null, s?: Subscription | null) => void,
  ) {
    const server = client ? identities.get(client) : undefined
    if (!server || subscription.topic !== topicFor(server.slc, server.id, 'command')) {
      refuse('subscribe.forbidden', client, { topic: subscription.topic })
      // A negated subscription answers SUBACK 0x80 (MQTT 3.1.1, 3.9.3) and keeps the link.
      return done(null, null)
    }
    done(null, subscription)
  }

  /** Nothing reaches a client unless it is that server's own command topic. */
  function authorizeForward(client: Client, packet: AedesPublishPacket) {
    const server = identities.get(client)
    if (!server || packet.topic !== topicFor(server.slc, server.id, 'command')) return null
    return packet
  }

  return { preConnect, authenticate, authorizePublish, authorizeSubscribe, authorizeForward }
}

// CONNACK (type 2, remaining length 2), no session, return code 1.
const connackUnacceptableProtocol = Buffer.from([0x20, 0x02, 0x00, 0x01])

/**
 * MQTT 3.1 must hear CONNACK 1, unacceptable protocol version (MQTT 3.1.1,
 * 3.2.2.3), but Aedes turns any code from authenticate outside 2-5 into 5, and
 * a refusal from preConnect closes the link without a CONNACK. So the CONNACK
 * is written here, and the link closed on the next turn, as Aedes closes its own.
 */
function refuseProtocolVersion(
  client: Client,
  refusal: Refusal,
  done: (error: Error | null, success: boolean) => void,
) {
  client.conn.write(connackUnacceptableProtocol)
  setImmediate(done, refusal, false)
}

function isOwnTelemetryTopic(server: ServerRecord, topic: string): boolean {
  const address = parseTopic(topic)
  return (
    !!address &&
    address.slc === server.slc &&
    address.serverId === server.id &&
    (address.kind === 'heartbeat' || address.kind === 'status')
  )
}
