import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('end to end')
let t: TestVigil

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await t.close()
})

test('carries a drive-full status from the agent over MQTT/TLS to the reseller API', async () => {
  const site = await t.site({ customer: 'Harbour Storage' })
  const agent = await site.agent(await site.enroll())

  await agent.setConditions([{ kind: 'drive-full', subject: 'D:', details: { usedPercent: 99 } }])

  const item = await eventually(async () => {
    t.vigil.flush()
    const res = await t.api('/api/installations', { token: site.token })
    const body = (await res.json()) as { items: Array<{ slc: string; problems: unknown[] }> }
    const found = body.items.find((i) => i.slc === site.slc)
    assert.ok(found, 'installation listed as in error')
    return found
  })
  assert.equal(item.problems.length, 1)
  assert.is((item.problems[0] as { kind: string }).kind, 'drive-full')
})

const minute = 60_000

async function installation(site: { slc: string; token: string }) {
  t.vigil.flush()
  const res = await t.api(`/api/installations/${site.slc}`, { token: site.token })
  assert.is(res.status, 200)
  return (await res.json()) as {
    inError: boolean
    problems: Array<{ kind: string; subject: string }>
    serverDetails: Array<{ id: string; available: boolean; lastSeenAt: number | null }>
  }
}

test('shows a silent server as unavailable and records the outage when it returns', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials)
  await agent.heartbeat()
  const seenAt = t.scheduler.now()
  await eventually(async () =>
    assert.is((await installation(site)).serverDetails[0]!.lastSeenAt, seenAt),
  )

  agent.setSilent(true)
  t.scheduler.advanceBy(3 * minute + 1000)
  const down = await eventually(async () => {
    const view = await installation(site)
    assert.is(view.serverDetails[0]!.available, false)
    return view
  })
  assert.equal(
    down.problems.map((p) => p.kind),
    ['server-unavailable'],
  )

  t.scheduler.advanceBy(10 * minute)
  agent.setSilent(false)
  await eventually(async () =>
    assert.is((await installation(site)).serverDetails[0]!.available, true),
  )

  const outages = (await (
    await t.api(`/api/installations/${site.slc}/outages`, { token: site.token })
  ).json()) as { items: Array<{ startedAt: number; durationMs: number }> }
  assert.equal(
    outages.items.map((o) => [o.startedAt, o.durationMs]),
    [[seenAt, t.scheduler.now() - seenAt]],
  )

  const events = (await (
    await t.api(`/api/installations/${site.slc}/events`, { token: site.token })
  ).json()) as { items: Array<{ type: string }> }
  assert.equal(
    events.items.map((e) => e.type),
    ['serverAvailable', 'serverUnavailable'],
  )
})

test('after a restart keeps conditions and counts missed heartbeats from start-up', async () => {
  const site = await t.site()
  const credentials = await site.enroll()
  const agent = await site.agent(credentials)
  await agent.setConditions([{ kind: 'license-shortage', details: { used: 34, available: 32 } }])
  await agent.heartbeat()
  await eventually(async () => assert.is((await installation(site)).problems.length, 1))

  t.scheduler.advanceBy(2.5 * minute)
  await t.restart()
  t.scheduler.advanceBy(1 * minute)
  const during = await installation(site)
  assert.is(during.serverDetails[0]!.available, true, "not flagged for Vigil's downtime")
  assert.equal(
    during.problems.map((p) => p.kind),
    ['license-shortage'],
  )

  t.scheduler.advanceBy(2 * minute + 1000)
  await eventually(async () =>
    assert.is((await installation(site)).serverDetails[0]!.available, false),
  )
})

test('lists only installations in error unless all=true', async () => {
  const healthy = await t.site({ reseller: 'Lister' })
  const broken = await t.site({ reseller: 'Lister' })
  await (await healthy.agent(await healthy.enroll())).heartbeat()
  await (
    await broken.agent(await broken.enroll())
  ).setConditions([{ kind: 'archive-move-failed', subject: 'Archive 7' }])

  const list = async (query: string) => {
    t.vigil.flush()
    const res = await t.api(`/api/installations${query}`, { token: healthy.token })
    return ((await res.json()) as { items: Array<{ slc: string }> }).items.map((i) => i.slc)
  }
  await eventually(async () => assert.equal(await list(''), [broken.slc]))
  assert.equal((await list('?all=true')).sort(), [healthy.slc, broken.slc].sort())
})

test('answers /healthz with every part up and /metrics in Prometheus text', async () => {
  const health = await t.api('/healthz')
  assert.is(health.status, 200)
  assert.equal(await health.json(), { status: 'ok', broker: true, pipeline: true, store: true })

  const metrics = await (await t.api('/metrics')).text()
  assert.match(metrics, /^# TYPE vigil_messages_received_total counter$/m)
  assert.match(metrics, /^vigil_events_total\{type="heartbeatReceived"\} \d+$/m)
})

test.run()
