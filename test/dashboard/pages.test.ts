/**
 * The dashboard's pages over a real socket, without a browser: sign-in and
 * its cookie, CSRF guards, refusals, 404 for foreign installations, escaping
 * and security headers.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestVigil, type TestVigil, type TestSite } from '../helpers/vigil.ts'

const test = suite('dashboard pages')
let t: TestVigil
let own: TestSite
let foreign: TestSite
const htmlName = '<script>alert(1)</script><b>Bold & Co</b>'

test.before(async () => {
  t = await startTestVigil()
  own = await t.site({ reseller: 'Pages Security', customer: htmlName })
  foreign = await t.site({ reseller: 'Other Security', customer: 'Secret Customer' })
})
test.after(async () => {
  await t.close()
})

function get(path: string, headers: Record<string, string> = {}) {
  return fetch(`${t.vigil.httpUrl}${path}`, { headers, redirect: 'manual' })
}

function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  return fetch(`${t.vigil.httpUrl}${path}`, {
    method: 'POST',
    body: new URLSearchParams(form),
    headers: { origin: t.vigil.httpUrl, ...headers },
    redirect: 'manual',
  })
}

const session = (token: string) => ({ cookie: `vigil_session=${token}` })

test('signs in with a token into an HttpOnly, SameSite cookie and signs out again', async () => {
  const res = await post('/sign-in', {
    token: own.token,
    next: '/installations/x',
    tz: 'Europe/Oslo',
  })
  assert.is(res.status, 303)
  assert.is(res.headers.get('location'), '/installations/x')
  const cookies = res.headers.getSetCookie()
  const token = cookies.find((c) => c.startsWith('vigil_session='))
  assert.ok(token, 'the session cookie is set')
  assert.match(token!, /HttpOnly/)
  assert.match(token!, /SameSite=Lax/)
  assert.match(token!, /Path=\//)
  assert.ok(
    cookies.some((c) => c.startsWith('vigil_tz=Europe%2FOslo')),
    'the zone is kept',
  )

  const out = await post('/sign-out', {}, session(own.token))
  assert.is(out.status, 303)
  assert.match(out.headers.getSetCookie().join('\n'), /vigil_session=;.*Max-Age=0/)
})

test('refuses a wrong token and never sends the browser elsewhere after sign-in', async () => {
  const wrong = await post('/sign-in', { token: 'vgr_not-a-token' })
  assert.is(wrong.status, 401)
  assert.match(await wrong.text(), /That token was not accepted/)
  assert.is(wrong.headers.getSetCookie().length, 0)

  const elsewhere = ['//evil.example/', 'https://evil.example/', '/\\evil.example', 'javascript:x']
  for (const next of elsewhere) {
    const res = await post('/sign-in', { token: own.token, next })
    assert.is(res.headers.get('location'), '/', `next=${next}`)
  }
})

test('refuses a sign-in or sign-out posted from another origin', async () => {
  const cases: Array<Record<string, string>> = [
    { origin: 'http://evil.example' },
    { origin: 'http://127.0.0.1:1' },
    { origin: 'null' },
    { origin: t.vigil.httpUrl, 'sec-fetch-site': 'cross-site' },
    { origin: t.vigil.httpUrl, 'sec-fetch-site': 'same-site' },
  ]
  for (const headers of cases) {
    const res = await post('/sign-in', { token: own.token }, headers)
    assert.is(res.status, 403, JSON.stringify(headers))
    assert.is(res.headers.getSetCookie().length, 0)
    assert.is((await post('/sign-out', {}, { ...session(own.token), ...headers })).status, 403)
  }
  const bare = await fetch(`${t.vigil.httpUrl}/sign-in`, {
    method: 'POST',
    body: new URLSearchParams({ token: own.token }),
  })
  assert.is(bare.status, 403, 'without Origin or Sec-Fetch-Site we cannot tell, so we refuse')
})

test('refuses every page and the live stream without a valid token', async () => {
  const attempts: Array<Record<string, string>> = [
    {},
    session('vgr_forged'),
    { authorization: `Bearer ${own.token}` },
  ]
  for (const headers of attempts) {
    for (const path of ['/', '/?all=1', `/installations/${own.slc}`]) {
      const res = await get(path, headers)
      assert.is(res.status, 401, `${path} with ${JSON.stringify(headers)}`)
      const html = await res.text()
      assert.match(html, /name="token"/, 'offers the sign-in form instead')
      assert.not.match(html, /Bold &amp; Co/)
    }
  }
  const forged = await get('/', session('vgr_forged'))
  assert.match(forged.headers.getSetCookie().join(), /vigil_session=;/, 'a dead cookie is cleared')

  for (const headers of [{}, session('vgr_forged')]) {
    assert.is((await get('/live', headers)).status, 401)
    assert.is((await get(`/live?slc=${own.slc}`, headers)).status, 401)
  }
})

test("answers 404 for another reseller's installation, as for a missing one", async () => {
  for (const slc of [foreign.slc, 'SLC-does-not-exist']) {
    const page = await get(`/installations/${slc}`, session(own.token))
    assert.is(page.status, 404)
    assert.not.match(await page.text(), /Secret Customer/)
    assert.is((await get(`/live?slc=${slc}`, session(own.token))).status, 404)
  }
  const list = await (await get('/?all=1', session(own.token))).text()
  assert.not.match(list, /Secret Customer/)
  assert.not.match(list, new RegExp(foreign.slc))
})

test('lists a site nobody monitors as "Not monitored", with why, never as healthy', async () => {
  const lapsed = await t.site({ reseller: 'Lapsed Security', customer: 'Lapsed Bakery' })
  await (await lapsed.agent(await lapsed.enroll())).heartbeat()
  await t.settle()
  const expiredAt = Date.parse('2025-12-03T12:00:00Z')
  t.vigil.registry.setSubscription(lapsed.slc, expiredAt)

  const overview = await (await get('/', session(lapsed.token))).text()
  assert.match(overview, /class="badge unmonitored">Not monitored</)
  assert.match(overview, /support subscription expired on 3 Dec 2025/)
  assert.match(overview, /data-count="healthy">0</)
  assert.match(overview, /data-count="unmonitored">1</)
  assert.not.match(overview, /Healthy/)

  const detail = await (await get(`/installations/${lapsed.slc}`, session(lapsed.token))).text()
  assert.match(detail, /Not monitored: support subscription expired on 3 Dec 2025/)

  t.vigil.registry.setSubscription(lapsed.slc, t.scheduler.now() + 3600_000)
  t.vigil.registry.setAcceptance(lapsed.slc, false, 'site admin')
  const withdrawn = await (await get('/', session(lapsed.token))).text()
  assert.match(withdrawn, /the site withdrew its consent/)
})

test('shows a customer name full of HTML as text', async () => {
  for (const path of ['/?all=1', `/installations/${own.slc}`]) {
    const html = await (await get(path, session(own.token))).text()
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;&lt;b&gt;Bold &amp; Co&lt;\/b&gt;/)
    assert.not.match(html, /<script>alert/)
    assert.not.match(html, /<b>Bold/)
  }
})

test('sends a CSP without inline script, frame denial and no-sniff everywhere', async () => {
  const paths = [
    '/sign-in',
    '/',
    `/installations/${own.slc}`,
    '/installations/nope',
    '/assets/dashboard.js',
    '/api/installations',
  ]
  for (const path of paths) {
    const res = await get(path, { ...session(own.token), authorization: `Bearer ${own.token}` })
    const csp = res.headers.get('content-security-policy') ?? ''
    assert.match(csp, /script-src 'self'/, path)
    assert.match(csp, /default-src 'none'/, path)
    assert.match(csp, /frame-ancestors 'none'/, path)
    assert.not.match(csp, /unsafe-inline|unsafe-eval/, path)
    assert.is(res.headers.get('x-frame-options'), 'DENY', path)
    assert.is(res.headers.get('x-content-type-options'), 'nosniff', path)
  }

  const page = await (await get('/', session(own.token))).text()
  assert.not.match(page, /<script(?![^>]*\bsrc=)[^>]*>/, 'every script is a file')
  assert.not.match(page, /\sstyle=|\son[a-z]+=/i, 'no inline style or handler')
})

test('accepts the session cookie for reads of the JSON API, never for writes', async () => {
  const read = await get('/api/installations?all=true', session(own.token))
  assert.is(read.status, 200)

  // The shape a cross-site form would send: text/plain that happens to parse as JSON.
  const write = await fetch(`${t.vigil.httpUrl}/api/installations`, {
    method: 'POST',
    headers: { ...session(own.token), 'content-type': 'text/plain' },
    body: JSON.stringify({ slc: 'SLC-forged', customerName: 'Forged' }),
  })
  assert.is(write.status, 401)
  assert.is(t.vigil.registry.installation('SLC-forged'), undefined)
})

test('serves its script and stylesheet from this origin, revalidated by ETag', async () => {
  const res = await get('/assets/dashboard.css')
  assert.is(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /text\/css/)
  const etag = res.headers.get('etag')!
  assert.is((await get('/assets/dashboard.css', { 'if-none-match': etag })).status, 304)
  assert.is((await get('/assets/../app.ts')).status, 404)
  assert.is((await get('/assets/secrets.json')).status, 404)
})

test.run()
