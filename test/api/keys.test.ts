import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { seal } from '../../core/envelope.ts'
import type { StatusInput } from '../../pipeline/schema.ts'
import { connect, endAll, refusals } from '../broker/mqtt-client.ts'
import { eventually, startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('api: server keys')

let t: TestVigil
let site: TestSite

test.before(async () => {
  t = await startTestVigil()
  site = await t.site()
})
test.after(async () => {
  await endAll()
  await t.close()
})

function basic(c: Pick<AgentCredentials, 'username' | 'password'>) {
  return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` }
}

async function rotate(c: AgentCredentials): Promise<{ keyId: string; key: string }> {
  const res = await t.api('/api/site/keys', { method: 'POST', headers: basic(c) })
  assert.is(res.status, 201)
  return (await res.json()) as { keyId: string; key: string }
}

async function retire(c: Pick<AgentCredentials, 'username' | 'password'>, kid: string) {
  const res = await t.api(`/api/site/keys/${kid}`, { method: 'DELETE', headers: basic(c) })
  type Answer = { retired?: string; keyIds?: string[]; error?: { code: string; message: string } }
  return { status: res.status, body: (await res.json()) as Answer }
}

function statusesTaken() {
  return t.vigil.metrics.value('vigil_events_total', { type: 'statusReceived' })
}

test('numbers a new key after the highest in use, not after how many are left', async () => {
  const creds = await site.enroll('Recorder numbering')
  assert.is((await rotate(creds)).keyId, 'k2')
  assert.is((await rotate(creds)).keyId, 'k3')
  assert.equal((await retire(creds, 'k2')).body, { retired: 'k2', keyIds: ['k1', 'k3'] })
  assert.is((await rotate(creds)).keyId, 'k4', 'two keys left, yet k3 is taken')
})

test('refuses statuses sealed with a retired key, and takes the others', async () => {
  const creds = await site.enroll('Recorder retiring')
  const newer = await rotate(creds)
  const client = await connect(t, creds)
  let seq = 0
  const send = (keyId: string, key: string) => {
    const status: StatusInput = { seq: ++seq, sentAt: t.scheduler.now(), conditions: [] }
    const payload = seal(
      Buffer.from(key, 'base64'),
      keyId,
      creds.topics.status,
      Buffer.from(JSON.stringify(status)),
    )
    return client.publishAsync(creds.topics.status, payload, { qos: 1 })
  }

  const taken = statusesTaken()
  await send(creds.keyId, creds.key)
  await eventually(() => assert.is(statusesTaken(), taken + 1, 'k1 works before'))

  assert.is((await retire(creds, 'k1')).status, 200)
  const refused = refusals(t, 'decrypt.unknown-key')
  await send(creds.keyId, creds.key)
  await eventually(() => assert.is(refusals(t, 'decrypt.unknown-key'), refused + 1))

  await send(newer.keyId, newer.key)
  await eventually(() => assert.is(statusesTaken(), taken + 2, 'k2 still works'))
})

test("refuses to retire a server's last key (409 last-key)", async () => {
  const creds = await site.enroll('Recorder last key')
  const { status, body } = await retire(creds, 'k1')
  assert.is(status, 409)
  assert.is(body.error?.code, 'last-key')
  assert.match(body.error?.message ?? '', /only key/)
})

test('answers 404 for a key id the server lacks, though another server has it', async () => {
  const owner = await site.enroll('Recorder owner')
  await rotate(owner)
  const other = await site.enroll('Recorder other')
  await rotate(other)
  await rotate(owner)
  const { status, body } = await retire(other, 'k3')
  assert.is(status, 404)
  assert.is(body.error?.code, 'not-found')
})

test("retires a key only with the server's own credentials", async () => {
  const creds = await site.enroll('Recorder guarded')
  await rotate(creds)
  assert.is((await retire({ ...creds, password: `${creds.password}x` }, 'k1')).status, 401)
  const anonymous = await t.api('/api/site/keys/k1', { method: 'DELETE' })
  assert.is(anonymous.status, 401)
  assert.is((await retire(creds, 'k1')).status, 200, 'the key was still there')
})

test.run()
