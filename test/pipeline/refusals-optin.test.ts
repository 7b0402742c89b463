import type { MqttClient } from 'mqtt'
import type { Subscription } from 'rxjs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { setAcceptance, type AgentCredentials } from '../../agent/credentials.ts'
import type { VigilEvent } from '../../core/events.ts'
import type { RefusalCode } from '../../core/refusals.ts'
import { closed, connect, connectRefused, endAll, refusals } from '../broker/mqtt-client.ts'
import { eventually, startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('pipeline: subscription expiry and withdrawn acceptance')
const hourMs = 3600_000

let t: TestVigil
let events: VigilEvent[] = []
let taps: Subscription

test.before(async () => {
  t = await startTestVigil()
  taps = t.vigil.pipeline.events$.subscribe((e) => events.push(e))
})
test.after.each(async () => {
  await endAll()
})
test.after(async () => {
  taps.unsubscribe()
  await t.close()
})

async function setSubscription(slc: string, expiresAt: number | string | null) {
  const res = await t.api(`/api/operator/installations/${slc}/subscription`, {
    method: 'PUT',
    token: t.operatorToken,
    json: { expiresAt },
  })
  assert.is(res.status, 200, 'the operator set the subscription')
}

function heartbeats(serverId: string) {
  return events.filter((e) => e.type === 'heartbeatReceived' && e.serverId === serverId).length
}

/** A heartbeat on an open link that the pipeline takes. */
async function heartbeatTaken(client: MqttClient, creds: AgentCredentials) {
  const before = heartbeats(creds.serverId)
  await client.publishAsync(creds.topics.heartbeat, Buffer.alloc(0), { qos: 1 })
  await eventually(() => assert.is(heartbeats(creds.serverId), before + 1, 'taken'), 3_000)
}

/**
 * A heartbeat on an open link that the pipeline refuses with this code; the
 * server may no longer send, so Vigil also closes its link.
 */
async function heartbeatRefused(client: MqttClient, creds: AgentCredentials, code: RefusalCode) {
  const before = refusals(t, code)
  const taken = heartbeats(creds.serverId)
  const dropped = closed(client)
  client.publish(creds.topics.heartbeat, Buffer.alloc(0), { qos: 0 })
  await eventually(() => assert.is(refusals(t, code), before + 1, `counted as ${code}`), 3_000)
  await dropped
  assert.is(heartbeats(creds.serverId), taken, 'nothing reached the actor')
}

async function lastSeenAt(site: TestSite, serverId: string) {
  t.vigil.flush()
  const res = await t.api(`/api/installations/${site.slc}`, { token: site.token })
  type Detail = { serverDetails: Array<{ id: string; lastSeenAt: number | null }> }
  const body = (await res.json()) as Detail
  return body.serverDetails.find((s) => s.id === serverId)?.lastSeenAt
}

test('refuses to connect a server whose subscription has expired', async () => {
  const site = await t.site()
  const creds = await site.enroll()
  await setSubscription(site.slc, t.scheduler.now() - 1)
  const before = refusals(t, 'auth.subscription-expired')
  const refused = await connectRefused(t, creds)
  assert.is(refused.returnCode, 5)
  assert.is(refusals(t, 'auth.subscription-expired'), before + 1)
})

test('refuses to connect a server of an installation with no subscription at all', async () => {
  const site = await t.site()
  const creds = await site.enroll()
  await setSubscription(site.slc, null)
  const before = refusals(t, 'auth.subscription-expired')
  assert.is((await connectRefused(t, creds)).returnCode, 5)
  assert.is(refusals(t, 'auth.subscription-expired'), before + 1)
})

test("refuses a connected server's messages once the operator ends its subscription", async () => {
  const site = await t.site()
  const creds = await site.enroll()
  const client = await connect(t, creds)
  await heartbeatTaken(client, creds)
  const seen = await lastSeenAt(site, creds.serverId)
  assert.ok(seen, 'the reseller saw the server')

  await setSubscription(site.slc, t.scheduler.now())
  await heartbeatRefused(client, creds, 'gate.subscription-expired')
  assert.is(await lastSeenAt(site, creds.serverId), seen, 'a refused message is not shown as valid')

  await setSubscription(site.slc, t.scheduler.now() + hourMs)
  await heartbeatTaken(await connect(t, creds), creds)
})

test("refuses a connected server's messages once its subscription runs out in time", async () => {
  const site = await t.site()
  const creds = await site.enroll()
  await setSubscription(site.slc, t.scheduler.now() + hourMs)
  const client = await connect(t, creds)
  await heartbeatTaken(client, creds)

  t.scheduler.advanceBy(2 * hourMs)
  await heartbeatRefused(client, creds, 'gate.subscription-expired')
  assert.is((await connectRefused(t, creds)).returnCode, 5, 'and a new connection is refused')
})

test('refuses a server whose site withdrew acceptance, and takes it once re-accepted', async () => {
  const site = await t.site()
  const creds = await site.enroll('Recorder 1')
  const sibling = await site.enroll('Recorder 2')
  const client = await connect(t, creds)
  const siblingClient = await connect(t, sibling)
  await heartbeatTaken(client, creds)

  await setAcceptance(t.vigil.httpUrl, creds, false, 'Site manager')
  await heartbeatRefused(client, creds, 'gate.not-accepted')
  await heartbeatRefused(siblingClient, sibling, 'gate.not-accepted')
  const before = refusals(t, 'auth.not-accepted')
  assert.is((await connectRefused(t, sibling)).returnCode, 5)
  assert.is(refusals(t, 'auth.not-accepted'), before + 1)

  await setAcceptance(t.vigil.httpUrl, creds, true, 'Site manager')
  await heartbeatTaken(await connect(t, creds), creds)
  const again = await connect(t, sibling)
  await heartbeatTaken(again, sibling)
})

test("keeps taking other installations' messages while one is refused", async () => {
  const withdrawn = await t.site()
  const other = await t.site({ reseller: 'Reseller B' })
  const creds = await withdrawn.enroll()
  const otherCreds = await other.enroll()
  const client = await connect(t, creds)
  const otherClient = await connect(t, otherCreds)

  await setAcceptance(t.vigil.httpUrl, creds, false, 'Site manager')
  await heartbeatRefused(client, creds, 'gate.not-accepted')
  await heartbeatTaken(otherClient, otherCreds)
})

test('records every withdrawal and acceptance with who and when', async () => {
  const site = await t.site()
  const creds = await site.enroll()
  const enrolledAt = t.scheduler.now()
  t.scheduler.advanceBy(60_000)
  await setAcceptance(t.vigil.httpUrl, creds, false, 'Jane Doe, site manager')
  t.scheduler.advanceBy(60_000)
  await setAcceptance(t.vigil.httpUrl, creds, true, 'John Roe')

  assert.equal(t.vigil.registry.acceptanceLog(site.slc), [
    { accepted: 1, byWhom: 'site admin', at: enrolledAt },
    { accepted: 0, byWhom: 'Jane Doe, site manager', at: enrolledAt + 60_000 },
    { accepted: 1, byWhom: 'John Roe', at: enrolledAt + 120_000 },
  ])
  const res = await t.api(`/api/installations/${site.slc}`, { token: site.token })
  assert.is(((await res.json()) as { accepted: boolean }).accepted, true)
})

test.run()
