import type { MqttClient } from 'mqtt'
import { randomBytes } from 'node:crypto'
import type { Subscription } from 'rxjs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { seal, type Envelope } from '../../core/envelope.ts'
import type { VigilEvent } from '../../core/events.ts'
import type { RefusalCode } from '../../core/refusals.ts'
import type { MessageRefused } from '../../pipeline/pipeline.ts'
import type { StatusInput } from '../../pipeline/schema.ts'
import { closed, connect, endAll, refusals } from '../broker/mqtt-client.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('pipeline: decryption, validation and gate refusals')

let t: TestVigil
let a: Sender
let b: Sender
let events: VigilEvent[] = []
let refused: MessageRefused[] = []
let taps: Subscription

/** A recording server on a raw MQTT link, writing its own payloads by hand. */
interface Sender {
  creds: AgentCredentials
  key: Buffer
  client: MqttClient
  seq: number
}

async function sender(creds: AgentCredentials): Promise<Sender> {
  return { creds, key: Buffer.from(creds.key, 'base64'), client: await connect(t, creds), seq: 0 }
}

function report(s: Sender, fields: Partial<StatusInput> = {}): StatusInput {
  return { seq: ++s.seq, sentAt: t.scheduler.now(), conditions: [], figures: {}, ...fields }
}

interface SealOptions {
  topic?: string
  key?: Buffer
  kid?: string
}

function sealed(s: Sender, body: unknown, options: SealOptions = {}) {
  const plaintext = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  const { key = s.key, kid = s.creds.keyId, topic = s.creds.topics.status } = options
  return seal(key, kid, topic, plaintext)
}

function rewrite(payload: Buffer, change: (e: Envelope) => void): Buffer {
  const envelope = JSON.parse(payload.toString('utf8')) as Envelope
  change(envelope)
  return Buffer.from(JSON.stringify(envelope))
}

async function publish(s: Sender, payload: Buffer, topic = s.creds.topics.status) {
  await s.client.publishAsync(topic, payload, { qos: 1 })
}

async function statusArrives(s: Sender, seq: number) {
  await eventually(
    () =>
      assert.ok(
        events.some(
          (e) => e.type === 'statusReceived' && e.serverId === s.creds.serverId && e.seq === seq,
        ),
        `status #${seq} of ${s.creds.serverId} reached its actor`,
      ),
    3_000,
  )
}

/** Sends one payload and waits until the pipeline has refused it with this code. */
async function expectRefused(s: Sender, payload: Buffer, code: RefusalCode, topic?: string) {
  const before = refusals(t, code)
  await publish(s, payload, topic)
  await eventually(() => assert.is(refusals(t, code), before + 1, `counted as ${code}`), 3_000)
  const last = refused.at(-1)
  assert.is(last?.refusal.code, code)
  assert.is(last?.clientId, s.creds.serverId)
}

/** Nothing valid is lost: the same server and another one still get through. */
async function stillFlowing() {
  const fromA = report(a)
  const fromB = report(b)
  await Promise.all([publish(a, sealed(a, fromA)), publish(b, sealed(b, fromB))])
  await statusArrives(a, fromA.seq)
  await statusArrives(b, fromB.seq)
  assert.ok(a.client.connected && b.client.connected, 'pipeline refusals never cut the link')
}

test.before(async () => {
  t = await startTestVigil()
  taps = t.vigil.pipeline.events$.subscribe((e) => events.push(e))
  taps.add(t.vigil.pipeline.refusals$.subscribe((r) => refused.push(r)))
  const siteA = await t.site({ reseller: 'Reseller A' })
  const siteB = await t.site({ reseller: 'Reseller B' })
  a = await sender(await siteA.enroll('Recorder A'))
  b = await sender(await siteB.enroll('Recorder B'))
})
test.after(async () => {
  taps.unsubscribe()
  await endAll()
  await t.close()
})

test('takes a well-formed status from each server', async () => {
  await stillFlowing()
})

test('refuses a status sealed with the wrong key', async () => {
  await expectRefused(a, sealed(a, report(a), { key: randomBytes(32) }), 'decrypt.failed')
  await stillFlowing()
})

test("refuses a status sealed with another server's key", async () => {
  await expectRefused(a, sealed(a, report(a), { key: b.key }), 'decrypt.failed')
  await stillFlowing()
})

test('refuses a status whose ciphertext was tampered with', async () => {
  const payload = rewrite(sealed(a, report(a)), (e) => {
    const ct = Buffer.from(e.ct, 'base64')
    ct[0] = ct[0]! ^ 0x01
    e.ct = ct.toString('base64')
  })
  await expectRefused(a, payload, 'decrypt.failed')
  await stillFlowing()
})

test('refuses a status whose nonce was changed', async () => {
  const payload = rewrite(sealed(a, report(a)), (e) => {
    e.nonce = randomBytes(12).toString('base64')
  })
  await expectRefused(a, payload, 'decrypt.failed')
  await stillFlowing()
})

test('refuses a truncated 12-byte tag even though it is the genuine prefix', async () => {
  // Node verifies a 12-byte GCM tag as valid unless the length is pinned.
  const payload = rewrite(sealed(a, report(a)), (e) => {
    e.tag = Buffer.from(e.tag, 'base64').subarray(0, 12).toString('base64')
  })
  await expectRefused(a, payload, 'decrypt.bad-tag')
  const empty = rewrite(sealed(a, report(a)), (e) => {
    e.tag = ''
  })
  await expectRefused(a, empty, 'decrypt.bad-tag')
  await stillFlowing()
})

test('refuses an unknown key id', async () => {
  await expectRefused(a, sealed(a, report(a), { kid: 'k9' }), 'decrypt.unknown-key')
  await stillFlowing()
})

test('refuses a status sealed for another topic (additional data mismatch)', async () => {
  for (const topic of [b.creds.topics.status, a.creds.topics.heartbeat]) {
    await expectRefused(a, sealed(a, report(a), { topic }), 'decrypt.failed')
  }
  await stillFlowing()
})

test('refuses the same status sent twice', async () => {
  const payload = sealed(a, report(a))
  await publish(a, payload)
  await statusArrives(a, a.seq)
  await expectRefused(a, payload, 'gate.replay')
  await stillFlowing()
})

test('refuses a sequence number older than the last one taken', async () => {
  const newer = report(a, { seq: a.seq + 10 })
  await publish(a, sealed(a, newer))
  await statusArrives(a, newer.seq)
  await expectRefused(a, sealed(a, { ...newer, seq: newer.seq - 5 }), 'gate.replay')
  a.seq = newer.seq
  await stillFlowing()
})

test('refuses a send time outside the allowed clock skew, either way', async () => {
  const skew = t.vigil.options.maxClockSkewMs
  const now = t.scheduler.now()
  await expectRefused(a, sealed(a, report(a, { sentAt: now - skew - 1_000 })), 'gate.stale')
  await expectRefused(a, sealed(a, report(a, { sentAt: now + skew + 1_000 })), 'gate.stale')
  await stillFlowing()
})

test('a refused status does not use up its sequence number', async () => {
  const late = report(a, { sentAt: t.scheduler.now() - t.vigil.options.maxClockSkewMs - 1_000 })
  await expectRefused(a, sealed(a, late), 'gate.stale')
  await publish(a, sealed(a, { ...late, sentAt: t.scheduler.now() }))
  await statusArrives(a, late.seq)
})

test('refuses an envelope that is not JSON or not of the agreed shape', async () => {
  const good = JSON.parse(sealed(a, report(a)).toString('utf8')) as Envelope
  const bad = [
    Buffer.from('hello'),
    Buffer.alloc(0),
    randomBytes(64),
    Buffer.from('null'),
    Buffer.from('[]'),
    Buffer.from(JSON.stringify({ ...good, v: 2 })),
    Buffer.from(JSON.stringify({ ...good, kid: '' })),
    Buffer.from(JSON.stringify({ ...good, ct: 42 })),
    Buffer.from(JSON.stringify({ ...good, nonce: 'not base64!' })),
    Buffer.from(JSON.stringify({ ...good, nonce: randomBytes(8).toString('base64') })),
    Buffer.from(JSON.stringify({ v: 1, kid: 'k1' })),
  ]
  for (const payload of bad) await expectRefused(a, payload, 'decode.bad-envelope')
  await stillFlowing()
})

test('refuses a decrypted status that is not JSON', async () => {
  await expectRefused(a, sealed(a, 'seq=1;sentAt=now'), 'validate.schema')
  await stillFlowing()
})

test('refuses a status with an unknown kind of situation', async () => {
  const body = report(a, { conditions: [{ kind: 'printer-on-fire' as 'drive-full' }] })
  await expectRefused(a, sealed(a, body), 'validate.schema')
  await stillFlowing()
})

test('refuses a status in which the server claims server-unavailable itself', async () => {
  const body = report(a, { conditions: [{ kind: 'server-unavailable' as 'drive-full' }] })
  await expectRefused(a, sealed(a, body), 'validate.schema')
  await stillFlowing()
})

test('refuses oversized arrays and maps in a status', async () => {
  const drives = Array.from({ length: 65 }, (_, i) => ({ name: `D${i}`, usedPercent: 1 }))
  const conditions = Array.from({ length: 1001 }, () => ({ kind: 'drive-full' as const }))
  const details = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`k${i}`, i]))
  await expectRefused(a, sealed(a, report(a, { figures: { drives } })), 'validate.schema')
  await expectRefused(a, sealed(a, report(a, { conditions })), 'validate.schema')
  await expectRefused(
    a,
    sealed(a, report(a, { conditions: [{ kind: 'drive-full', details }] })),
    'validate.schema',
  )
  await stillFlowing()
})

test('refuses statuses with fields of the wrong type or unknown fields', async () => {
  const bad: unknown[] = [
    { ...report(a), seq: 0 },
    { ...report(a), seq: 1.5 },
    { ...report(a), seq: '7' },
    { ...report(a), sentAt: 'yesterday' },
    { ...report(a), conditions: 'drive-full' },
    { ...report(a), extra: true },
    { ...report(a), figures: { cameras: { online: -1, total: 4 } } },
    { ...report(a), figures: { drives: [{ name: 'C:', usedPercent: 101 }] } },
    { ...report(a), conditions: [{ kind: 'drive-full', subject: 'x'.repeat(201) }] },
  ]
  for (const body of bad) await expectRefused(a, sealed(a, body), 'validate.schema')
  await stillFlowing()
})

test('refuses a heartbeat that is not empty', async () => {
  const topic = a.creds.topics.heartbeat
  await expectRefused(a, Buffer.from('{}'), 'decode.heartbeat-not-empty', topic)
  await expectRefused(a, sealed(a, report(a)), 'decode.heartbeat-not-empty', topic)
  await stillFlowing()
})

test("loses none of another server's messages during a burst of bad ones", async () => {
  const codes = ['decrypt.failed', 'decode.bad-envelope', 'gate.replay'] as const
  const before = Object.fromEntries(codes.map((c) => [c, refusals(t, c)]))
  const replayed = sealed(a, report(a, { seq: a.seq }))
  const sends: Array<Promise<void>> = []
  const valid: number[] = []
  for (let i = 0; i < 20; i++) {
    sends.push(publish(a, sealed(a, report(a), { key: randomBytes(32) })))
    sends.push(publish(a, Buffer.from(`garbage ${i}`)))
    sends.push(publish(a, replayed))
    const good = report(b)
    valid.push(good.seq)
    sends.push(publish(b, sealed(b, good)))
  }
  await Promise.all(sends)
  for (const seq of valid) await statusArrives(b, seq)
  await eventually(() => {
    assert.is(refusals(t, 'decrypt.failed'), before['decrypt.failed']! + 20)
    assert.is(refusals(t, 'decode.bad-envelope'), before['decode.bad-envelope']! + 20)
    assert.is(refusals(t, 'gate.replay'), before['gate.replay']! + 20)
  }, 3_000)
  await stillFlowing()
})

test('closes the link on a packet over the default 64 KiB limit', async () => {
  assert.is(t.vigil.options.maxPacketBytes, 64 * 1024)
  const client = await connect(t, a.creds, { clientId: a.creds.serverId })
  // The broker takes the newer link for the same client id (MQTT 3.1.1, 3.1.4-2).
  a.client = client
  const before = refusals(t, 'packet.too-large')
  const link = closed(client)
  const payload = Buffer.alloc(64 * 1024 + 1, 0x7b)
  client.publish(a.creds.topics.status, payload, { qos: 0 }, () => undefined)
  await link
  assert.is(refusals(t, 'packet.too-large'), before + 1)
  a.client = await connect(t, a.creds)
  await stillFlowing()
})

test('meets no unexpected error on the way', () => {
  assert.is(t.vigil.metrics.value('vigil_pipeline_failures_total', { stage: 'check' }), 0)
  assert.is(t.vigil.metrics.value('vigil_pipeline_failures_total', { stage: 'actor' }), 0)
})

test('still refuses a replayed status after Vigil restarts', async () => {
  const payload = sealed(a, report(a))
  await publish(a, payload)
  await statusArrives(a, a.seq)
  await endAll()
  t.vigil.flush()
  taps.unsubscribe()
  await t.restart()
  events = []
  refused = []
  taps = t.vigil.pipeline.events$.subscribe((e) => events.push(e))
  taps.add(t.vigil.pipeline.refusals$.subscribe((r) => refused.push(r)))
  a.client = await connect(t, a.creds)
  b.client = await connect(t, b.creds)

  await expectRefused(a, payload, 'gate.replay')
  await stillFlowing()
})

test.run()
