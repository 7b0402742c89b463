/**
 * Raw MQTT.js clients for the refusal suites: they speak to the real TLS
 * broker exactly as a misbehaving recording server would, with no agent in
 * between, so every byte on the wire is the test's choice.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import type { AgentCredentials } from '../../agent/credentials.ts'
import type { RefusalCode } from '../../core/refusals.ts'
import type { TestVigil } from '../helpers/vigil.ts'

/** A refused CONNECT: the CONNACK return code, or undefined when the link just closed. */
export interface Refused {
  returnCode: number | undefined
  error: Error
}

function optionsFor(t: TestVigil, creds: Pick<AgentCredentials, 'serverId' | 'password'>,
  overrides: Partial<IClientOptions>): IClientOptions {
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
