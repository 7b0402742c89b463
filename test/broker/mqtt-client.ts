/**
 * Raw MQTT.js clients for the refusal suites: they speak to the real TLS
 * broker exactly as a misbehaving recording server would, with no agent in
 * between, so every byte on the wire is the test's choice.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { connect as tlsConnect } from 'node:tls'
import type { AgentCredentials } from '../../agent/credentials.ts'
import type { RefusalCode } from '../../core/refusals.ts'
import { eventually, type TestVigil } from '../helpers/vigil.ts'

/** A refused CONNECT: the CONNACK return code, or undefined when the link just closed. */
export interface Refused {
  returnCode: number | undefined
  error: Error
}

function optionsFor(
  t: TestVigil,
  creds: Pick<AgentCredentials, 'serverId' | 'password'>,
  overrides: Partial<IClientOptions>,
): IClientOptions {
  return {
    protocolVersion: 4,
    clientId: creds.serverId,
    username: creds.serverId,
    password: creds.password,
    ca: t.vigil.caPem,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: 3_000,
    keepalive: 60,
    ...overrides,
  }
}

function url(t: TestVigil) {
  return `mqtts://localhost:${t.vigil.mqttPort}`
}

const opened = new Set<MqttClient>()

/** Connects and resolves on CONNACK 0; rejects with what the broker answered. */
export function connect(
  t: TestVigil,
  creds: Pick<AgentCredentials, 'serverId' | 'password'>,
  overrides: Partial<IClientOptions> = {},
): Promise<MqttClient> {
  const client = mqtt.connect(url(t), optionsFor(t, creds, overrides))
  opened.add(client)
  return new Promise((resolve, reject) => {
    client.once('connect', () => resolve(client))
    client.once('error', (error) => {
      client.end(true)
      reject(error)
    })
    client.once('close', () => {
      if (!client.connected) reject(new Error('closed before CONNACK'))
    })
  })
}

/** Connects expecting a refusal; fails the test if the broker lets the client in. */
export async function connectRefused(
  t: TestVigil,
  creds: Pick<AgentCredentials, 'serverId' | 'password'>,
  overrides: Partial<IClientOptions> = {},
): Promise<Refused> {
  try {
    const client = await connect(t, creds, overrides)
    await client.endAsync(true)
  } catch (error) {
    const code = (error as { code?: unknown }).code
    return { returnCode: typeof code === 'number' ? code : undefined, error: error as Error }
  }
  throw new Error('the broker accepted a connection it should have refused')
}

/** Resolves when the broker has closed the link (short timeout: the broker acts at once). */
export function closed(client: MqttClient, timeoutMs = 3_000): Promise<void> {
  if (!client.connected) return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the broker kept the link open')), timeoutMs)
    client.once('close', () => {
      clearTimeout(timer)
      resolve()
    })
  })
}

/** Ends every client a suite opened; refused ones are already gone. */
export async function endAll(): Promise<void> {
  const clients = [...opened]
  opened.clear()
  await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)))
}

export function refusals(t: TestVigil, code: RefusalCode): number {
  return t.vigil.metrics.value('vigil_refusals_total', { code })
}

/** Operator view of the refusal counters, as the operator API reports them. */
export async function operatorRefusals(t: TestVigil): Promise<Record<string, number>> {
  const res = await t.api('/api/operator/refusals', { token: t.operatorToken })
  if (res.status !== 200) throw new Error(`GET /api/operator/refusals: ${res.status}`)
  const body = (await res.json()) as { items: Array<{ code: string; count: number }> }
  return Object.fromEntries(body.items.map((i) => [i.code, i.count]))
}

/** The SUBACK return code for one topic: granted QoS, or 0x80 for a refusal. */
export async function subscribeCode(client: MqttClient, topic: string, qos: 0 | 1 = 0) {
  try {
    const granted = await client.subscribeAsync(topic, { qos })
    return granted[0]?.qos
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet
    if (!packet?.granted) throw error
    return packet.granted[0]
  }
}

/**
 * A hand-made MQTT 3.1.1 session on a raw TLS socket, for packets MQTT.js
 * refuses to send (it checks topic filters before they leave).
 */
export async function rawSession(
  t: TestVigil,
  creds: Pick<AgentCredentials, 'serverId' | 'password'>,
) {
  const socket = tlsConnect({
    host: '127.0.0.1',
    port: t.vigil.mqttPort,
    servername: 'localhost',
    ca: t.vigil.caPem,
  })
  const closedLink = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  socket.on('error', () => undefined)
  const received: Buffer[] = []
  socket.on('data', (chunk: Buffer) => received.push(chunk))
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', () => resolve())
    socket.once('error', reject)
  })

  const id = mqttString(creds.serverId)
  // protocol name, level 4, flags: username + password + clean session, keepalive 60 s
  const connectBody = Buffer.concat([
    mqttString('MQTT'),
    Buffer.from([4, 0xc2, 0, 60]),
    id,
    id,
    mqttString(creds.password),
  ])
  socket.write(mqttPacket(0x10, connectBody))
  await eventually(() => {
    const connack = Buffer.concat(received).subarray(0, 4).toString('hex')
    if (connack !== '20020000') throw new Error(`no CONNACK 0: ${connack}`)
  }, 2_000)

  return {
    socket,
    closed: closedLink,
    subscribe(filter: string) {
      socket.write(
        mqttPacket(
          0x82,
          Buffer.concat([Buffer.from([0, 1]), mqttString(filter), Buffer.from([0])]),
        ),
      )
    },
  }
}

export function mqttString(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8')
  return Buffer.concat([Buffer.from([bytes.length >> 8, bytes.length & 0xff]), bytes])
}

export function mqttPacket(header: number, body: Buffer): Buffer {
  const length: number[] = []
  let n = body.length
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    length.push(byte)
  } while (n > 0)
  return Buffer.concat([Buffer.from([header, ...length]), body])
}
