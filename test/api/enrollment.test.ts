import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { AgentApiError, enroll, setAcceptance } from '../../agent/credentials.ts'
import { topicFor } from '../../core/topics.ts'
import { connect, endAll } from '../broker/mqtt-client.ts'
import { startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('api: enrollment')

let t: TestVigil
let site: TestSite

test.before(async () => {
  t = await startTestVigil()
  site = await t.site({ reseller: 'Reseller A' })
})
test.after(async () => {
  await endAll()
  await t.close()
})

async function post(body: Record<string, unknown>) {
  const res = await t.api('/api/enroll', { method: 'POST', json: body })
  return { status: res.status, text: await res.text() }
}

function request(slc: string, enrollmentCode: string, serverName = 'Recorder') {
  return { slc, enrollmentCode, serverName, acceptedBy: 'site admin' }
}

function refusedEnrollments() {
  return t.vigil.metrics.entries('vigil_enrollments_refused_total').reduce((n, e) => n + e.value, 0)
}

test('issues a server its own credentials, key, interval and topics', async () => {
  const creds = await site.enroll('Recorder 1')
  assert.is(creds.username, creds.serverId)
  assert.match(creds.password, /^vgs_[A-Za-z0-9_-]{43}$/)
  assert.is(Buffer.from(creds.key, 'base64').length, 32, 'an AES-256 key')
  assert.is(creds.keyId, 'k1')
  assert.is(creds.heartbeatIntervalMs, 60_000)
  assert.equal(creds.topics, {
    heartbeat: topicFor(site.slc, creds.serverId, 'heartbeat'),
    status: topicFor(site.slc, creds.serverId, 'status'),
    command: topicFor(site.slc, creds.serverId, 'command'),
  })
  assert.match(creds.ca, /-----BEGIN CERTIFICATE-----/)
  assert.ok((await connect(t, creds)).connected, 'the credentials open the broker')

  const other = await site.enroll('Recorder 2')
  assert.is.not(other.serverId, creds.serverId)
  assert.is.not(other.key, creds.key, 'a key per server')
})

test('stores passwords, tokens and codes hashed, never as given', async () => {
  const creds = await site.enroll('Recorder 3')
  const dump = JSON.stringify([
    t.vigil.db.prepare('SELECT * FROM servers').all(),
    t.vigil.db.prepare('SELECT * FROM installations').all(),
    t.vigil.db.prepare('SELECT * FROM resellers').all(),
    t.vigil.db.prepare('SELECT * FROM operator_tokens').all(),
  ])
  assert.not.ok(dump.includes(creds.password), 'server password')
  assert.not.ok(dump.includes(site.token), 'reseller token')
  assert.not.ok(dump.includes(t.operatorToken), 'operator token')
  assert.not.ok(dump.includes(site.enrollmentCode), 'enrollment code')
  assert.not.ok(dump.includes(site.enrollmentCode.replace(/-/g, '')), 'enrollment code')
})

test('refuses a wrong code and an unknown SLC alike (403)', async () => {
  const before = refusedEnrollments()
  const wrongCode = await post(request(site.slc, 'AAAA-BBBB-CCCC'))
  const unknownSlc = await post(request('SLC-UNKNOWN-1', site.enrollmentCode))
  assert.is(wrongCode.status, 403)
  assert.is(unknownSlc.status, 403)
  assert.is(wrongCode.text, unknownSlc.text, 'nothing tells the two apart')
  assert.is(JSON.parse(wrongCode.text).error.code, 'forbidden')
  assert.is(refusedEnrollments(), before + 2)
})

test('takes as long to refuse an unknown SLC as a wrong code: timing reveals no SLC', async () => {
  const timed = async (slc: string) => {
    const start = performance.now()
    assert.is((await post(request(slc, 'AAAA-BBBB-CCCC'))).status, 403)
    return performance.now() - start
  }
  const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)]!
  await timed('SLC-UNKNOWN-0')
  const unknown: number[] = []
  const wrong: number[] = []
  for (let i = 0; i < 5; i++) {
    unknown.push(await timed(`SLC-UNKNOWN-${i}`))
    wrong.push(await timed(site.slc))
  }
  // The code check is a deliberately slow scrypt; skipping it would answer ten times faster.
  assert.ok(
    median(unknown) > median(wrong) / 2,
    `unknown SLC ${median(unknown).toFixed(1)} ms vs wrong code ${median(wrong).toFixed(1)} ms`,
  )
})

test("refuses one installation's code on another installation", async () => {
  const other = await t.site({ reseller: 'Reseller B' })
  const res = await post(request(other.slc, site.enrollmentCode))
  assert.is(res.status, 403)
})

test('takes the code in lower case and without dashes, as typed at a site', async () => {
  const typed = site.enrollmentCode.toLowerCase().replace(/-/g, '')
  const res = await post(request(site.slc, typed))
  assert.is(res.status, 201)
})

test('invalidates the old code when the reseller renews it', async () => {
  const own = await t.site({ reseller: 'Reseller A' })
  const res = await t.api(`/api/installations/${own.slc}/enrollment-code`, {
    method: 'POST',
    token: own.token,
  })
  assert.is(res.status, 200)
  const { enrollmentCode } = (await res.json()) as { enrollmentCode: string }
  assert.is.not(enrollmentCode, own.enrollmentCode)

  assert.is((await post(request(own.slc, own.enrollmentCode))).status, 403, 'the old code is dead')
  assert.is((await post(request(own.slc, enrollmentCode))).status, 201, 'the new code works')
})

test('records the opt-in at enrollment with who and when', async () => {
  const own = await t.site()
  t.scheduler.advanceBy(5_000)
  const at = t.scheduler.now()
  const by = 'R. Patel, IT'
  await enroll(t.vigil.httpUrl, { ...request(own.slc, own.enrollmentCode), acceptedBy: by })
  assert.equal(t.vigil.registry.acceptanceLog(own.slc), [{ accepted: 1, byWhom: by, at }])
  assert.ok(t.vigil.registry.installation(own.slc)?.accepted)
})

test('refuses an enrollment that names nobody who accepted', async () => {
  const own = await t.site()
  const res = await post({ ...request(own.slc, own.enrollmentCode), acceptedBy: '   ' })
  assert.is(res.status, 400)
  assert.equal(t.vigil.registry.acceptanceLog(own.slc), [], 'no opt-in recorded')
  assert.not.ok(t.vigil.registry.installation(own.slc)?.accepted)
})

test("lets a site withdraw acceptance only with its own server's credentials", async () => {
  const own = await t.site()
  const other = await t.site({ reseller: 'Reseller B' })
  const creds = await own.enroll()
  await other.enroll()

  const guessed = { ...creds, password: 'vgs_guess' }
  const wrong = setAcceptance(t.vigil.httpUrl, guessed, false, 'Mallory')
  await wrong.then(
    () => assert.unreachable('accepted a wrong password'),
    (error: unknown) => {
      assert.instance(error, AgentApiError)
      assert.is((error as AgentApiError).status, 401)
    },
  )
  assert.ok(t.vigil.registry.installation(own.slc)?.accepted, 'still accepted')

  await setAcceptance(t.vigil.httpUrl, creds, false, 'Site manager')
  assert.not.ok(t.vigil.registry.installation(own.slc)?.accepted, 'withdrawn')
  assert.ok(t.vigil.registry.installation(other.slc)?.accepted, 'other installations untouched')
})

test.run()
