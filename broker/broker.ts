/**
 * The MQTT side of Vigil: Aedes behind TLS 1.2+ (DESIGN.md), with the auth
 * hooks of auth.ts and a packet size guard. Authorised publishes leave as an
 * Observable for the pipeline.
 */
import { Aedes, type AedesPublishPacket, type Client } from 'aedes'
import {
  createServer as createNetServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net'
import { Duplex } from 'node:stream'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { Subject, type Observable } from 'rxjs'
import type { Logger } from '../core/logger.ts'
import type { Metrics } from '../core/metrics.ts'
import { isRefusal, Refusal } from '../core/refusals.ts'
import type { RecordRefusal } from '../core/refusal-log.ts'
import type { BrokerMessage } from '../pipeline/message.ts'
import { createAuthHooks, type ServerDirectory } from './auth.ts'
import { ForbiddenTopic, PacketSizeGuard, PacketTooLarge } from './size-guard.ts'

/** Vigil topics have five levels; deeper ones are refused before they cost anything. */
const maxTopicLevels = 8

export interface BrokerOptions {
  host: string
  port: number
  /** Plain TCP for local development; 0 keeps it off. */
  plainPort: number
  maxPacketBytes: number
  tls: { cert: string; key: string; ca?: string }
}

export interface BrokerDeps {
  servers: ServerDirectory
  recordRefusal: RecordRefusal
  logger: Logger
  metrics: Metrics
  now: () => number
}

export interface RunningBroker {
  messages$: Observable<BrokerMessage>
  port: number
  plainPort: number
  connectedClients(): number
  readonly closed: boolean
  /** Closes a server's connection, if it has one. */
  disconnect(clientId: string): void
  close(): Promise<void>
}

export async function startBroker(
  options: BrokerOptions,
  deps: BrokerDeps,
): Promise<RunningBroker> {
  const { logger, metrics, now } = deps
  const hooks = createAuthHooks(deps)
  const aedes = await Aedes.createBroker({
    ...hooks,
    // One will or one queued packet is all a server needs; keep per-client memory small.
    queueLimit: 42,
    maxTopicLevels,
    connectTimeout: 10_000,
    drainTimeout: 30_000,
    heartbeatInterval: 3_600_000,
  })

  const messages = new Subject<BrokerMessage>()
  let sequence = 0
  aedes.on('publish', (packet: AedesPublishPacket, client: Client | null) => {
    if (!client) return
    messages.next({
      msgId: `m${++sequence}`,
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
      clientId: client.id,
      receivedAt: now(),
    })
  })
  observeClients(aedes, deps)

  const attach = (socket: Socket | TLSSocket) => {
    const client = aedes.handle(guard(socket, options.maxPacketBytes, deps, () => client.id))
  }

  const tls = createTlsServer(
    { cert: options.tls.cert, key: options.tls.key, ca: options.tls.ca, minVersion: 'TLSv1.2' },
    attach,
  )
  tls.on('tlsClientError', (error, socket) => {
    deps.recordRefusal(
      new Refusal('tls.handshake-failed', { reason: (error as { code?: string }).code }),
      { remote: socket.remoteAddress },
    )
  })
  await listen(tls, options.port, options.host)

  let plain: Server | undefined
  if (options.plainPort > 0) {
    plain = createNetServer(attach)
    await listen(plain, options.plainPort, options.host)
    logger.warn('plainMqttEnabled', { port: port(plain), why: 'development only; no TLS' })
  }

  return {
    messages$: messages.asObservable(),
    port: port(tls),
    plainPort: plain ? port(plain) : 0,
    connectedClients: () => aedes.connectedClients,
    disconnect(clientId) {
      const client = (aedes as unknown as { clients: Record<string, Client | undefined> }).clients[
        clientId
      ]
      if (!client) return
      logger.info('clientDropped', { clientId, why: 'no longer allowed to send' })
      client.close()
    },
    get closed() {
      return aedes.closed || !tls.listening
    },
    async close() {
      // Stop accepting first, then let Aedes end the open connections: a TLS
      // server's close only completes once its last connection is gone.
      const closed = Promise.all([closeServer(tls), plain ? closeServer(plain) : undefined])
      await new Promise<void>((resolve) => aedes.close(() => resolve()))
      await closed
      messages.complete()
    },
  }
}

/** Puts the guard between socket and Aedes; an oversized packet or a bad topic ends the link. */
function guard(
  socket: Socket | TLSSocket,
  limit: number,
  deps: BrokerDeps,
  clientId: () => string | undefined,
): Duplex {
  const sizeGuard = new PacketSizeGuard(limit, maxTopicLevels)
  socket.pipe(sizeGuard)
  sizeGuard.on('error', (error) => {
    const fields = { remote: socket.remoteAddress, clientId: clientId() }
    if (error instanceof PacketTooLarge) {
      deps.recordRefusal(
        new Refusal('packet.too-large', { bytes: error.bytes ?? 'malformed length', limit }),
        fields,
      )
    }
    if (error instanceof ForbiddenTopic) {
      deps.recordRefusal(new Refusal('publish.foreign-topic', { topic: error.topic }), fields)
    }
    socket.destroy()
  })
  socket.on('error', (error) => deps.logger.debug('socketError', { error }))
  const duplex = Duplex.from({ readable: sizeGuard, writable: socket })
  socket.on('close', () => duplex.destroy())
  return duplex
}

function observeClients(aedes: Aedes, deps: BrokerDeps) {
  const { logger, metrics } = deps
  const connected = metrics.gauge('vigil_mqtt_clients', 'Connected MQTT clients')
  aedes.on('client', (client) => {
    connected.set(aedes.connectedClients)
    logger.debug('clientConnected', { clientId: client.id })
  })
  aedes.on('clientDisconnect', (client) => {
    connected.set(aedes.connectedClients)
    logger.debug('clientDisconnected', { clientId: client.id })
  })

  // Aedes ends a link on a protocol violation (PUBLISH before CONNECT, a bad
  // protocol name, a second CONNECT, an unknown packet type, a CONNECT that
  // never comes) before any hook of ours runs; those are refusals too.
  const onError = (kind: string) => (client: Client | null, error: Error) => {
    if (isRefusal(error) || isSocketError(error)) {
      logger.debug(kind, { clientId: client?.id, error })
      return
    }
    deps.recordRefusal(new Refusal('packet.protocol-error', { why: error.message.slice(0, 200) }), {
      clientId: client?.id,
    })
  }
  aedes.on('clientError', onError('clientError'))
  aedes.on('connectionError', onError('connectionError'))
}

/** A peer that hangs up or resets is not a refusal; neither is our own destroy. */
function isSocketError(error: Error): boolean {
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && (/^E[A-Z]+$/.test(code) || code.startsWith('ERR_'))
}

function listen(server: Server, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

function closeServer(server: Server) {
  return new Promise<void>((resolve) => server.close(() => resolve()))
}

function port(server: Server) {
  return (server.address() as AddressInfo).port
}
