import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { enroll, type AgentCredentials } from '../../agent/credentials.ts'
import { seal } from '../../core/envelope.ts'
import { connect, endAll } from '../broker/mqtt-client.ts'
import { eventually, startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('api: a reseller sees only his own installations')

let t: TestVigil
/** Reseller A's site has a server with an active problem and a past outage. */
let siteA: TestSite
let siteB: TestSite
const customerA = 'Acme Cold Storage'
const missing = 'SLC-DOES-NOT-EXIST'

type Json = Record<string, unknown>

async function get(path: string, token?: string) {
  const res = await t.api(path, { token })
  return { status: res.status, body: (await res.json()) as Json, text: '' }
}

async function call(method: string, path: string, token?: string, json?: unknown) {
  const res = await t.api(path, { method, token, json })
  const text = await res.text()
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' }
}

/** Every reseller endpoint that names one installation. */
function endpoints(slc: string): Array<[string, string]> {
  const path = `/api/installations/${encodeURIComponent(slc)}`
  return [
    ['GET', path],
    ['GET', `${path}/events`],
    ['GET', `${path}/outages`],
    ['GET', `${path}/availability`],
    ['POST', `${path}/enrollment-code`],
  ]
}

async function makeHistory(creds: AgentCredentials) {
  const client = await connect(t, creds)
  const heartbeat = () => client.publishAsync(creds.topics.heartbeat, Buffer.alloc(0), { qos: 1 })
  await heartbeat()
  t.scheduler.advanceBy(4 * creds.heartbeatIntervalMs) // three misses: an outage
  await heartbeat()
  const conditions = [{ kind: 'drive-full', subject: 'E:' }]
  const status = { seq: 1, sentAt: t.scheduler.now(), conditions }
  const key = Buffer.from(creds.key, 'base64')
  await client.publishAsync(
    creds.topics.status,
    seal(key, creds.keyId, creds.topics.status, Buffer.from(JSON.stringify(status))),
    { qos: 1 },
  )
  await eventually(async () => {
    t.vigil.flush()
    const { body } = await get(`/api/installations/${siteA.slc}/outages`, siteA.token)
    assert.is((body.items as unknown[]).length, 1, 'the outage is recorded')
    const detail = await get(`/api/installations/${siteA.slc}`, siteA.token)
    assert.is((detail.body.problems as unknown[]).length, 1, 'the drive-full problem is active')
  }, 3_000)
}

test.before(async () => {
  t = await startTestVigil()
  siteA = await t.site({ reseller: 'Reseller A', customer: customerA })
  siteB = await t.site({ reseller: 'Reseller B', customer: 'Bravo Logistics' })
  await makeHistory(await siteA.enroll('Recorder A1'))
  await endAll()
})
test.after(async () => {
  await t.close()
})

test('shows a reseller his own installation by every endpoint', async () => {
  const list = await get('/api/installations', siteA.token)
  assert.ok(
    (list.body.items as Json[]).some((i) => i.slc === siteA.slc),
    'listed as in error',
  )
  const q = encodeURIComponent(customerA)
  const searched = await get(`/api/installations?all=true&q=${q}`, siteA.token)
  assert.is((searched.body.items as Json[]).length, 1)
  assert.is((await get(`/api/installations/${siteA.slc}`, siteA.token)).body.slc, siteA.slc)
  const events = await get(`/api/installations/${siteA.slc}/events`, siteA.token)
  assert.ok((events.body.items as unknown[]).length >= 3, 'outage and condition events')
  const availability = await get(`/api/installations/${siteA.slc}/availability`, siteA.token)
  assert.type(availability.body.percent, 'number')
})

test("never lists another reseller's installation, with or without all=true or q=", async () => {
  const queries = [
    '',
    '?all=true',
    '?all=false',
    `?all=true&q=${siteA.slc}`,
    `?q=${encodeURIComponent(customerA)}`,
    '?all=true&q=SLC',
    '?all=true&q=%25',
    '?all=true&q=_',
  ]
  for (const query of queries) {
    const res = await call('GET', `/api/installations${query}`, siteB.token)
    assert.is(res.status, 200, query)
    const where = query || 'the default list'
    assert.not.ok(res.text.includes(siteA.slc), `A's SLC leaks in ${where}`)
    assert.not.ok(res.text.includes(customerA), `A's customer leaks in ${where}`)
  }
  const all = await get('/api/installations?all=true', siteB.token)
  assert.equal(
    (all.body.items as Json[]).map((i) => i.slc),
    [siteB.slc],
  )
})

test("answers 404 for another reseller's installation exactly as for a missing one", async () => {
  const foreign = endpoints(siteA.slc)
  const nonexistent = endpoints(missing)
  for (const [i, [method, path]] of foreign.entries()) {
    const theirs = await call(method, path, siteB.token)
    const nobody = await call(method, nonexistent[i]![1], siteB.token)
    assert.is(theirs.status, 404, `${method} ${path}`)
    assert.is(theirs.text, nobody.text, `${method} ${path} says the same as for a missing SLC`)
    assert.is(theirs.type, nobody.type)
  }
})

test("lets no other reseller renew, and so break, an installation's enrollment code", async () => {
  const res = await call('POST', `/api/installations/${siteA.slc}/enrollment-code`, siteB.token)
  assert.is(res.status, 404)
  const creds = await enroll(t.vigil.httpUrl, {
    slc: siteA.slc,
    enrollmentCode: siteA.enrollmentCode,
    serverName: 'Recorder A2',
    acceptedBy: 'site admin',
  })
  assert.ok(creds.serverId, "A's code still works")
})

test('refuses to register an SLC that another reseller holds (409)', async () => {
  const res = await t.api('/api/installations', {
    method: 'POST',
    token: siteB.token,
    json: { slc: siteA.slc, customerName: 'Impostor' },
  })
  assert.is(res.status, 409)
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'slc-taken')
  const kept = t.vigil.registry.installation(siteA.slc)
  assert.is(kept?.customerName, customerA, 'A keeps it unchanged')
  const again = await t.api('/api/installations', {
    method: 'POST',
    token: siteA.token,
    json: { slc: siteA.slc, customerName: 'Twice' },
  })
  assert.is(again.status, 409)
})

test('refuses missing, wrong and malformed tokens with 401 on every endpoint', async () => {
  const routes: Array<[string, string, unknown?]> = [
    ['GET', '/api/installations'],
    ['GET', '/api/installations?all=true'],
    ['POST', '/api/installations', { slc: 'SLC-NEW-1', customerName: 'New' }],
    ...endpoints(siteA.slc),
    ['GET', '/api/operator/resellers'],
    ['POST', '/api/operator/resellers', { name: 'Mallory' }],
    ['PUT', `/api/operator/installations/${siteA.slc}/subscription`, { expiresAt: null }],
    ['GET', '/api/operator/refusals'],
  ]
  const headers: Array<Record<string, string>> = [
    {},
    { authorization: 'Bearer vgr_wrong' },
    { authorization: 'Bearer ' },
    { authorization: 'Bearer' },
    { authorization: `Bearer ${siteA.token} ${siteA.token}` },
    { authorization: `Bearer ${siteA.token}x` },
    { authorization: `Basic ${Buffer.from(`x:${siteA.token}`).toString('base64')}` },
    { authorization: `Token ${siteA.token}` },
    { authorization: `Bearer ${'A'.repeat(8_000)}` },
    { authorization: 'Bearer vgr_\u00e9\u00e9' },
    { authorization: "Bearer ' OR 1=1 --" },
    { cookie: 'vigil_session=vgr_wrong' },
  ]
  for (const [method, path, json] of routes) {
    for (const header of headers) {
      const res = await t.api(path, { method, headers: header, json })
      const body = (await res.json()) as { error?: { code: string } }
      assert.is(res.status, 401, `${method} ${path} with ${JSON.stringify(header).slice(0, 60)}`)
      assert.is(body.error?.code, 'unauthorized')
    }
  }
  assert.is(t.vigil.registry.installation('SLC-NEW-1'), undefined, 'nothing was registered')
  assert.is(t.vigil.registry.resellerByName('Mallory'), undefined, 'nobody was created')
})

test('refuses a reseller token on operator endpoints, and the other way round', async () => {
  const operatorOnly = [
    ['GET', '/api/operator/resellers'],
    ['GET', '/api/operator/refusals'],
    ['PUT', `/api/operator/installations/${siteA.slc}/subscription`],
  ] as const
  for (const [method, path] of operatorOnly) {
    const res = await t.api(path, {
      method,
      token: siteA.token,
      json: method === 'PUT' ? { expiresAt: null } : undefined,
    })
    assert.is(res.status, 401, `${method} ${path}`)
  }
  const untouched = t.vigil.registry.installation(siteA.slc)
  assert.ok(untouched?.subscriptionExpiresAt, 'subscription untouched')
  for (const [method, path] of endpoints(siteA.slc)) {
    assert.is((await call(method, path, t.operatorToken)).status, 401, `${method} ${path}`)
  }
})

/** Reads a live stream in the background; `cancel` ends it so Vigil can close. */
async function openLive(token: string, query = '') {
  const res = await t.api(`/live${query}`, { token })
  assert.is(res.status, 200)
  const reader = res.body!.getReader()
  const decoder = new TextDecoder()
  const stream = { text: '', cancel: () => reader.cancel() }
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }))
      if (done) return
      stream.text += decoder.decode(value, { stream: true })
    }
  })()
  await eventually(() => assert.match(stream.text, /event: hello/), 2_000)
  return stream
}

async function raise(creds: AgentCredentials, seq: number, subject: string) {
  const client = await connect(t, creds)
  const conditions = [{ kind: 'camera-unreachable', subject }]
  const status = { seq, sentAt: t.scheduler.now(), conditions }
  await client.publishAsync(
    creds.topics.status,
    seal(
      Buffer.from(creds.key, 'base64'),
      creds.keyId,
      creds.topics.status,
      Buffer.from(JSON.stringify(status)),
    ),
    { qos: 1 },
  )
  t.vigil.flush()
}

test("never sends another reseller's changes down a live stream", async () => {
  const credsB = await siteB.enroll('Recorder B1')
  const credsA = await enroll(t.vigil.httpUrl, {
    slc: siteA.slc,
    enrollmentCode: siteA.enrollmentCode,
    serverName: 'Recorder A3',
    acceptedBy: 'site admin',
  })
  const liveA = await openLive(siteA.token)
  const liveB = await openLive(siteB.token)
  try {
    await raise(credsA, 1, 'Camera 7')
    await eventually(() => assert.ok(liveA.text.includes(siteA.slc), 'A hears of A'), 3_000)
    await raise(credsB, 1, 'Camera 9')
    await eventually(() => assert.ok(liveB.text.includes(siteB.slc), 'B hears of B'), 3_000)
    assert.not.ok(liveB.text.includes(siteA.slc), "B never hears of A's SLC")
    assert.not.ok(liveB.text.includes(customerA), "nor of A's customer")
  } finally {
    await Promise.all([liveA.cancel(), liveB.cancel()])
    await endAll()
  }
})

test("refuses a live stream of another reseller's installation like a missing one", async () => {
  const theirs = await call('GET', `/live?slc=${siteA.slc}`, siteB.token)
  const nobody = await call('GET', `/live?slc=${missing}`, siteB.token)
  assert.is(theirs.status, 404)
  assert.is(theirs.text, nobody.text)
  assert.is((await call('GET', `/live?slc=${siteA.slc}`)).status, 401, 'and none without a token')
})

test("shows another reseller's installation page exactly like a missing one", async () => {
  const asB = { cookie: `vigil_session=${siteB.token}` }
  const page = async (slc: string) => {
    const res = await t.api(`/installations/${slc}`, { headers: asB })
    return { status: res.status, html: (await res.text()).replaceAll(slc, '<slc>') }
  }
  const theirs = await page(siteA.slc)
  const nobody = await page(missing)
  assert.is(theirs.status, 404)
  assert.is(nobody.status, 404)
  assert.is(theirs.html, nobody.html)
  assert.not.ok(theirs.html.includes(customerA))

  for (const query of ['', '?all=1']) {
    const res = await t.api(`/${query}`, { headers: asB })
    const html = await res.text()
    assert.is(res.status, 200, query)
    assert.not.ok(html.includes(siteA.slc) || html.includes(customerA), `overview ${query}`)
  }
  // A search echoes its own text; otherwise it finds A's SLC exactly as it finds nothing.
  const search = async (q: string) => {
    const res = await t.api(`/?all=1&q=${encodeURIComponent(q)}`, { headers: asB })
    const inLinks = new URLSearchParams({ q }).toString().slice(2)
    return (await res.text()).replaceAll(q, '<q>').replaceAll(inLinks, '<q>')
  }
  assert.is(await search(siteA.slc), await search(missing))
  assert.is(await search(customerA), await search('Nobody Such Customer'))
  const asA = { cookie: `vigil_session=${siteA.token}` }
  const own = await t.api(`/installations/${siteA.slc}`, { headers: asA })
  assert.is(own.status, 200, 'the owner sees the page')
  assert.is((await t.api(`/installations/${siteA.slc}`)).status, 401, 'nobody signed out does')
})

test('answers injection attempts in the SLC with a clear 4xx and leaks nothing', async () => {
  const attempts = [
    "' OR '1'='1",
    `${siteA.slc}' --`,
    '"; DROP TABLE installations; --',
    '../../etc/passwd',
    `../${siteA.slc}`,
    '%',
    '_',
    '*',
    'SLC-\u03a9-\u202e',
    '\u0000',
    'x'.repeat(2_000),
  ]
  for (const slc of attempts) {
    for (const [method, path] of endpoints(slc)) {
      const res = await call(method, path, siteB.token)
      const what = `${method} ${path.slice(0, 80)}: ${res.status}`
      assert.ok(res.status >= 400 && res.status < 500, what)
      assert.match(res.type, /application\/json/)
      const body = JSON.parse(res.text) as { error: { code: string; message: string } }
      assert.type(body.error.code, 'string')
      assert.not.ok(res.text.includes(siteA.slc) && !slc.includes(siteA.slc), 'no foreign SLC')
      assert.not.ok(/sqlite|SELECT|stack|at \//i.test(body.error.message), 'no internals')
    }
  }
  const { body } = await get('/api/installations?all=true', siteA.token)
  assert.ok(
    (body.items as Json[]).some((i) => i.slc === siteA.slc),
    'the data is intact',
  )
})

test('answers a very long URL with a 4xx, not a crash', async () => {
  const res = await call('GET', `/api/installations/${'x'.repeat(40_000)}`, siteB.token)
  assert.ok(res.status >= 400 && res.status < 500, String(res.status))
  assert.is((await call('GET', '/healthz')).status, 200)
})

test('answers injection attempts in the query with 400 or a scoped result', async () => {
  const bad = ["?all=true' OR '1'='1", '?all=1', '?all=TRUE', `?q=${'x'.repeat(201)}`]
  for (const query of bad) {
    const res = await call('GET', `/api/installations${query}`, siteB.token)
    assert.is(res.status, 400, query)
    assert.is((JSON.parse(res.text) as { error: { code: string } }).error.code, 'invalid-input')
  }
  const scoped = ["?q=' OR 1=1 --", "?q=%25' OR ''='", `?q=${encodeURIComponent('\u202e')}`]
  for (const query of scoped) {
    const res = await call('GET', `/api/installations?all=true&${query.slice(1)}`, siteB.token)
    assert.is(res.status, 200, query)
    assert.not.ok(res.text.includes(siteA.slc), query)
  }
  const range = [
    '?from=1 OR 1=1',
    '?to=yesterday',
    '?limit=1;DROP TABLE events',
    '?limit=100000',
    '?limit=-1',
    '?from=2026-01-05T00:00:00Z&to=2026-01-04T00:00:00Z',
  ]
  for (const query of range) {
    const res = await call('GET', `/api/installations/${siteA.slc}/events${query}`, siteA.token)
    assert.is(res.status, 400, query)
  }
})

test('refuses to register an SLC that could break topics or queries', async () => {
  const bad = [
    'vigil/#',
    'a+b',
    'SLC/../x',
    "x' OR 1=1 --",
    'SLC-\u03a9',
    ' SLC-1',
    'ab',
    '',
    'x'.repeat(65),
    '$SYS',
  ]
  for (const slc of bad) {
    const res = await t.api('/api/installations', {
      method: 'POST',
      token: siteB.token,
      json: { slc, customerName: 'Probe' },
    })
    assert.is(res.status, 400, JSON.stringify(slc))
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'invalid-input')
  }
})

test.run()
