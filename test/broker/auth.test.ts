import type { MqttClient } from 'mqtt'
import { connect as tlsConnect } from 'node:tls'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { topicFor } from '../../core/topics.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'
import {
  closed,
  connect,
  connectRefused,
  endAll,
  operatorRefusals,
  rawSession,
  refusals,
  subscribeCode,
} from './mqtt-client.ts'

const test = suite('broker: authentication and authorisation')
const packetLimit = 4096

let t: TestVigil
/** a1 and a2 share installation A; b1 is on installation B. */
let a1: AgentCredentials
let a2: AgentCredentials
let b1: AgentCredentials

test.before(async () => {
  t = await startTestVigil({ maxPacketBytes: packetLimit })
  const siteA = await t.site({ reseller: 'Reseller A' })
  const siteB = await t.site({ reseller: 'Reseller B' })
  a1 = await siteA.enroll('Recorder A1')
  a2 = await siteA.enroll('Recorder A2')
  b1 = await siteB.enroll('Recorder B1')
})
test.after.each(async () => {
  await endAll()
})
test.after(async () => {
  await t.close()
})

function received() {
  return t.vigil.metrics.value('vigil_messages_received_total')
}

/** Publishes on a fresh, authenticated link and expects the broker to cut it. */
async function publishRefused(creds: AgentCredentials, topic: string, retain = false) {
  const client = await connect(t, creds)
  const link = closed(client)
  client.publish(topic, Buffer.alloc(0), { qos: 0, retain }, () => undefined)
  await link
}

test('lets a server in with its own credentials', async () => {
  const client = await connect(t, a1)
  assert.ok(client.connected)
})

test('refuses a wrong password with CONNACK 4 and counts it', async () => {
  const before = refusals(t, 'auth.bad-credentials')
  const refused = await connectRefused(t, { ...a1, password: `${a1.password}x` })
  assert.is(refused.returnCode, 4)
  assert.is(refusals(t, 'auth.bad-credentials'), before + 1)
})

test('refuses an unknown username exactly like a wrong password', async () => {
  const before = refusals(t, 'auth.bad-credentials')
  const refused = await connectRefused(t, { serverId: 's-000000000000', password: a1.password })
  assert.is(refused.returnCode, 4)
  assert.is(refusals(t, 'auth.bad-credentials'), before + 1)
})

test('refuses a connection without username or password', async () => {
  const before = refusals(t, 'auth.bad-credentials')
  const refused = await connectRefused(t, a1, { username: undefined, password: undefined })
  assert.is(refused.returnCode, 4)
  assert.is(refusals(t, 'auth.bad-credentials'), before + 1)
})

test('refuses a client id that is not the username (CONNACK 2)', async () => {
  const before = refusals(t, 'auth.client-id-mismatch')
  const refused = await connectRefused(t, a1, { clientId: a2.serverId })
  assert.is(refused.returnCode, 2)
  assert.is(refusals(t, 'auth.client-id-mismatch'), before + 1)
})

test("a failed login under a server's client id leaves that server connected", async () => {
  const victim = await connect(t, a1)
  await connectRefused(t, { ...a1, password: 'guess' })
  await connectRefused(t, a2, { clientId: a1.serverId })

  const before = received()
  await victim.publishAsync(a1.topics.heartbeat, Buffer.alloc(0), { qos: 1 })
  assert.ok(victim.connected, 'the real server kept its link')
  await eventually(() => assert.is(received(), before + 1), 2_000)
})

test("closes the link on a publish to another server's topics and counts it", async () => {
  const foreign = [
    a2.topics.heartbeat, // same installation, other server
    a2.topics.status,
    b1.topics.heartbeat, // other installation
    topicFor(b1.slc, a1.serverId, 'heartbeat'), // own server id under another SLC
    topicFor('SLC-nobody', a1.serverId, 'status'),
    a1.topics.command, // a server never writes its own command topic
    `${a1.topics.heartbeat}/extra`,
    `vigil/v2/${a1.slc}/${a1.serverId}/heartbeat`,
    '$SYS/broker/clients',
    'anything',
  ]
  const before = refusals(t, 'publish.foreign-topic')
  const messagesBefore = received()
  for (const topic of foreign) await publishRefused(a1, topic)
  assert.is(refusals(t, 'publish.foreign-topic'), before + foreign.length)
  assert.is(received(), messagesBefore, 'nothing reached the pipeline')
})

test('closes the link on a publish to a wildcard or too deep topic and counts it', async () => {
  const wildcards = [
    `vigil/v1/${a1.slc}/+/heartbeat`,
    `vigil/v1/${a1.slc}/#`,
    '#',
    `${a1.topics.heartbeat}/a/b/c/d/e/f`, // more levels than any Vigil topic
  ]
  const before = refusals(t, 'publish.foreign-topic')
  for (const topic of wildcards) await publishRefused(a1, topic)
  assert.is(refusals(t, 'publish.foreign-topic'), before + wildcards.length)
})

test("refuses a retained publish even on the server's own topic", async () => {
  const before = refusals(t, 'publish.retain-refused')
  const messagesBefore = received()
  await publishRefused(a1, a1.topics.heartbeat, true)
  assert.is(refusals(t, 'publish.retain-refused'), before + 1)
  assert.is(received(), messagesBefore)
})

test('answers SUBACK 0x80 to any filter but the own command topic; the link stays', async () => {
  const forbidden = [
    '#',
    'vigil/#',
    'vigil/v1/+/+/status',
    `vigil/v1/${a1.slc}/+/command`,
    b1.topics.command,
    a2.topics.command,
    a1.topics.status, // its own telemetry is not for reading back
    '$SYS/#',
  ]
  const client = await connect(t, a1)
  const before = refusals(t, 'subscribe.forbidden')
  for (const topic of forbidden) {
    assert.is(await subscribeCode(client, topic), 0x80, `SUBACK for ${topic}`)
  }
  assert.ok(client.connected, 'a refused subscription keeps the link (MQTT 3.1.1, 3.9.3)')
  assert.is(refusals(t, 'subscribe.forbidden'), before + forbidden.length)
})

test('answers SUBACK 0x80 to a wildcard filter sent on a hand-made session', async () => {
  const session = await rawSession(t, a1)
  const before = refusals(t, 'subscribe.forbidden')
  session.subscribe('vigil/+/#')
  await eventually(() => assert.is(refusals(t, 'subscribe.forbidden'), before + 1), 2_000)
  session.socket.destroy()
})

// Known gap: Aedes checks filter syntax (MQTT 3.1.1, 4.7.1) before authorizeSubscribe and
// closes the link without calling it. Expected: subscribe.forbidden counted. Actual: 0.
test.skip('counts a subscription to a malformed filter before the link closes', async () => {
  const session = await rawSession(t, a1)
  const before = refusals(t, 'subscribe.forbidden')
  session.subscribe('vigil/#/status')
  await session.closed
  assert.is(refusals(t, 'subscribe.forbidden'), before + 1)
})

test('grants a server a subscription to its own command topic', async () => {
  const client = await connect(t, a1)
  assert.is(await subscribeCode(client, a1.topics.command, 1), 1)
})

test("refuses a will message aimed at another server's topic", async () => {
  const before = refusals(t, 'auth.will-refused')
  const refused = await connectRefused(t, a1, {
    will: { topic: b1.topics.heartbeat, payload: Buffer.alloc(0), qos: 0, retain: false },
  })
  assert.is(refused.returnCode, 5)
  assert.is(refusals(t, 'auth.will-refused'), before + 1)
})

test('refuses a will message with wildcards or a retained will', async () => {
  const before = refusals(t, 'auth.will-refused')
  const wills = [
    { topic: `vigil/v1/${a1.slc}/+/heartbeat`, retain: false },
    { topic: '$SYS/broker/x', retain: false },
    { topic: a1.topics.heartbeat, retain: true },
  ]
  for (const will of wills) {
    const options = { will: { ...will, payload: Buffer.alloc(0), qos: 0 as const } }
    const refused = await connectRefused(t, a1, options)
    assert.is(refused.returnCode, 5, will.topic)
  }
  assert.is(refusals(t, 'auth.will-refused'), before + wills.length)
})

test('refuses a will on the own heartbeat topic, accepts one on the status topic', async () => {
  const before = refusals(t, 'auth.will-refused')
  const refused = await connectRefused(t, a1, {
    will: { topic: a1.topics.heartbeat, payload: Buffer.alloc(0), qos: 0, retain: false },
  })
  assert.is(refused.returnCode, 5, 'a heartbeat at the moment of death would hide the outage')
  assert.is(refusals(t, 'auth.will-refused'), before + 1)

  const client = await connect(t, a1, {
    will: { topic: a1.topics.status, payload: Buffer.from('{}'), qos: 0, retain: false },
  })
  assert.ok(client.connected)
  await client.endAsync()
})

test('closes the link on a packet over the size limit and counts packet.too-large', async () => {
  const client = await connect(t, a1)
  const before = refusals(t, 'packet.too-large')
  const messagesBefore = received()
  const link = closed(client)
  client.publish(a1.topics.status, Buffer.alloc(packetLimit + 1, 0x41), { qos: 0 }, () => undefined)
  await link
  assert.is(refusals(t, 'packet.too-large'), before + 1)
  assert.is(received(), messagesBefore)
})

test('passes a packet just inside the size limit', async () => {
  const client = await connect(t, a1)
  const before = received()
  // remaining length = 2 + topic + payload (QoS 0 has no packet id)
  const payload = Buffer.alloc(packetLimit - 2 - Buffer.byteLength(a1.topics.status), 0x41)
  await client.publishAsync(a1.topics.status, payload, { qos: 0 })
  await eventually(() => assert.is(received(), before + 1), 2_000)
  assert.ok(client.connected)
})

test('counts an oversized CONNECT before any authentication', async () => {
  const before = refusals(t, 'packet.too-large')
  await connectRefused(t, { ...a1, password: 'p'.repeat(packetLimit * 2) })
  assert.is(refusals(t, 'packet.too-large'), before + 1)
})

test('refuses MQTT 5 and counts auth.protocol', async () => {
  const before = refusals(t, 'auth.protocol')
  const refused = await connectRefused(t, a1, { protocolVersion: 5 })
  assert.is(refused.returnCode, 1, 'CONNACK 1: unacceptable protocol version (MQTT 3.1.1, 3.1.2-2)')
  assert.is(refusals(t, 'auth.protocol'), before + 1)
})

test('refuses MQTT 3.1 (protocol 3) and counts auth.protocol', async () => {
  const before = refusals(t, 'auth.protocol')
  const refused = await connectRefused(t, a1, { protocolVersion: 3, protocolId: 'MQIsdp' })
  assert.is(refused.returnCode, 1, 'CONNACK 1: unacceptable protocol version (MQTT 3.1.1, 3.2.2.3)')
  assert.is(refusals(t, 'auth.protocol'), before + 1)
})

/** Resolves with the negotiated protocol, or rejects with the handshake error. */
function handshake(maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') {
  return new Promise<string | null>((resolve, reject) => {
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: t.vigil.mqttPort,
      servername: 'localhost',
      ca: t.vigil.caPem,
      // Let this client offer old versions, so only the broker can say no.
      minVersion: 'TLSv1',
      maxVersion,
      ciphers: 'DEFAULT:@SECLEVEL=0',
    })
    socket.once('secureConnect', () => {
      resolve(socket.getProtocol())
      socket.destroy()
    })
    socket.once('error', reject)
  })
}

test('refuses TLS below 1.2', async () => {
  const error = await handshake('TLSv1.1').then(
    () => undefined,
    (e: unknown) => e as { code?: string },
  )
  assert.ok(error, 'the handshake failed')
  // The broker's alert, not a client-side lack of protocols.
  assert.is(error?.code, 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION')
  await eventually(() => assert.ok(refusals(t, 'tls.handshake-failed') > 0, 'counted'))
})

test('speaks TLS 1.2 and 1.3', async () => {
  assert.is(await handshake('TLSv1.2'), 'TLSv1.2')
  assert.is(await handshake('TLSv1.3'), 'TLSv1.3')
})

test('refuses plain MQTT on the TLS port', async () => {
  const error = await connect(t, a1, { protocol: 'mqtt' }).then(
    (c: MqttClient) => c.endAsync(true).then(() => undefined),
    (e: unknown) => e,
  )
  assert.ok(error instanceof Error, 'no CONNACK over plain TCP')
})

test('shows the operator every broker refusal by code', async () => {
  const counts = await operatorRefusals(t)
  for (const code of [
    'auth.bad-credentials',
    'auth.client-id-mismatch',
    'auth.will-refused',
    'auth.protocol',
    'publish.foreign-topic',
    'publish.retain-refused',
    'subscribe.forbidden',
    'packet.too-large',
  ] as const) {
    assert.ok((counts[code] ?? 0) > 0, `${code} is counted`)
    assert.is(counts[code], refusals(t, code), `${code} matches /metrics`)
  }
})

test.run()
