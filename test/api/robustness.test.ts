import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('api: bad request bodies')

let t: TestVigil
let site: TestSite
let creds: AgentCredentials

interface Endpoint {
  name: string
  method: string
  path: () => string
  auth: () => Record<string, string>
  /** A body the endpoint takes, to vary one field at a time. */
  valid: () => Record<string, unknown>
  /** Bodies of the right JSON syntax but the wrong types or fields. */
  wrong: () => Array<Record<string, unknown>>
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

const endpoints: Endpoint[] = [
  {
    name: 'register an installation',
    method: 'POST',
    path: () => '/api/installations',
    auth: () => bearer(site.token),
    valid: () => ({ slc: 'SLC-ROBUST-1', customerName: 'Robust Ltd' }),
    wrong: () => [
      { slc: 123, customerName: 'x' },
      { slc: ['SLC-X'], customerName: 'x' },
      { slc: 'SLC-X', customerName: null },
      { slc: 'SLC-X' },
      { slc: 'SLC-X', customerName: 'x', owner: 'me' },
      { slc: 'SLC-X', customerName: 'x'.repeat(201) },
    ],
  },
  {
    name: 'enroll',
    method: 'POST',
    path: () => '/api/enroll',
    auth: () => ({}),
    valid: () => ({
      slc: site.slc,
      enrollmentCode: site.enrollmentCode,
      serverName: 'R',
      acceptedBy: 'me',
    }),
    wrong: () => [
      { slc: site.slc, enrollmentCode: 42, serverName: 'R', acceptedBy: 'me' },
      { slc: site.slc, enrollmentCode: site.enrollmentCode, serverName: 'R' },
      { slc: site.slc, enrollmentCode: site.enrollmentCode, serverName: 'R', acceptedBy: true },
      { slc: site.slc, enrollmentCode: site.enrollmentCode, serverName: '', acceptedBy: 'me' },
      {
        slc: site.slc,
        enrollmentCode: site.enrollmentCode,
        serverName: 'R',
        acceptedBy: 'me',
        heartbeatIntervalMs: 1,
      },
    ],
  },
  {
    name: 'set site acceptance',
    method: 'PUT',
    path: () => '/api/site/acceptance',
    auth: () => ({
      authorization: `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString(
        'base64',
      )}`,
    }),
    valid: () => ({ accepted: true, by: 'site admin' }),
    wrong: () => [
      { accepted: 'yes', by: 'me' },
      { accepted: 1, by: 'me' },
      { accepted: true },
      { accepted: true, by: '' },
      { accepted: true, by: 'me', slc: 'SLC-OTHER' },
    ],
  },
  {
    name: 'create a reseller',
    method: 'POST',
    path: () => '/api/operator/resellers',
    auth: () => bearer(t.operatorToken),
    valid: () => ({ name: 'Robust Reseller' }),
    wrong: () => [{ name: 7 }, { name: '' }, { name: ['a'] }, {}, { name: 'x', token: 'mine' }],
  },
  {
    name: 'set a subscription',
    method: 'PUT',
    path: () => `/api/operator/installations/${site.slc}/subscription`,
    auth: () => bearer(t.operatorToken),
    valid: () => ({ expiresAt: '2030-01-01' }),
    wrong: () => [
      { expiresAt: 'next year' },
      { expiresAt: -5 },
      { expiresAt: 1.5 },
      { expiresAt: true },
      { expiresAt: '2026-02-30' },
      { expiresAt: { at: 1 } },
      {},
    ],
  },
]

async function send(e: Endpoint, body: BodyInit | undefined, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.vigil.httpUrl}${e.path()}`, {
    method: e.method,
    headers: { 'content-type': 'application/json', ...e.auth(), ...headers },
    body,
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit)
  const text = await res.text()
  return { status: res.status, type: res.headers.get('content-type') ?? '', text }
}

/** Every error is JSON of one shape, with a stable code and a message that says what to fix. */
function problem(
  res: { status: number; type: string; text: string },
  status: number,
  code: string,
  what: string,
) {
  assert.is(res.status, status, what)
  assert.match(res.type, /^application\/json/, what)
  const body = JSON.parse(res.text) as { error?: { code?: unknown; message?: unknown } }
  assert.is(body.error?.code, code, what)
  assert.type(body.error?.message, 'string')
  assert.ok((body.error?.message as string).length > 0, what)
  return body.error!.message as string
}

test.before(async () => {
  t = await startTestVigil()
  site = await t.site()
  creds = await site.enroll()
})
test.after(async () => {
  await t.close()
})

test('answers malformed JSON with 400 bad-json on every endpoint that takes a body', async () => {
  const malformed = ['{', '{"slc":', "{'slc': 1}", 'not json', '', '{"a":1}}', '\u00ff\u00fe']
  for (const e of endpoints) {
    for (const body of malformed) {
      problem(await send(e, body), 400, 'bad-json', `${e.name}: ${body}`)
    }
    problem(
      await send(e, new Uint8Array([0x7b, 0xc3, 0x28, 0x7d])),
      400,
      'bad-json',
      `${e.name}: invalid UTF-8`,
    )
  }
})

test('answers JSON that is not an object with 400 invalid-input', async () => {
  for (const e of endpoints) {
    for (const body of ['null', '[]', '"text"', '42', 'true']) {
      problem(await send(e, body), 400, 'invalid-input', `${e.name}: ${body}`)
    }
  }
})

test('answers wrong types and unknown fields with 400 invalid-input naming the field', async () => {
  for (const e of endpoints) {
    for (const body of e.wrong()) {
      const message = problem(
        await send(e, JSON.stringify(body)),
        400,
        'invalid-input',
        `${e.name}: ${JSON.stringify(body).slice(0, 80)}`,
      )
      assert.not.match(message, /ZodError|at \/|\n/, 'no internals in the message')
    }
  }
})

test('answers a body over 64 KiB with 413, with or without a content length', async () => {
  const big = JSON.stringify({ name: 'x'.repeat(64 * 1024) })
  for (const e of endpoints) {
    problem(await send(e, big), 413, 'payload-too-large', `${e.name}: declared length`)
    const chunks = [big.slice(0, 40_000), big.slice(40_000)]
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift()
        if (next === undefined) controller.close()
        else controller.enqueue(new TextEncoder().encode(next))
      },
    })
    problem(await send(e, stream), 413, 'payload-too-large', `${e.name}: chunked`)
  }
})

test('takes a body just under the limit to the usual checks', async () => {
  const e = endpoints.find((x) => x.name === 'create a reseller')!
  const body = JSON.stringify({ name: 'x'.repeat(60 * 1024) })
  problem(await send(e, body), 400, 'invalid-input', 'a long name is checked, not cut off')
})

test('changes nothing on a refused request, then takes a valid one', async () => {
  assert.is(t.vigil.registry.installation('SLC-ROBUST-1'), undefined)
  assert.is(t.vigil.registry.resellerByName('Robust Reseller'), undefined)
  assert.is(
    t.vigil.registry.installation(site.slc)?.subscriptionExpiresAt,
    t.scheduler.now() + 365 * 24 * 3600_000,
    'subscription unchanged',
  )

  for (const e of endpoints) {
    const res = await send(e, JSON.stringify(e.valid()))
    assert.ok(res.status === 200 || res.status === 201, `${e.name}: ${res.status} ${res.text}`)
  }
  assert.ok(t.vigil.registry.installation('SLC-ROBUST-1'))
  assert.ok(t.vigil.registry.resellerByName('Robust Reseller'))
  assert.is(
    t.vigil.registry.installation(site.slc)?.subscriptionExpiresAt,
    Date.parse('2030-01-01T23:59:59.999Z'),
  )
})

test('answers an unknown installation in an operator path with 404', async () => {
  const res = await t.api('/api/operator/installations/SLC-NOBODY/subscription', {
    method: 'PUT',
    token: t.operatorToken,
    json: { expiresAt: null },
  })
  const type = res.headers.get('content-type') ?? ''
  problem({ status: res.status, type, text: await res.text() }, 404, 'not-found', 'unknown SLC')
})

test('stays healthy after all of it', async () => {
  const res = await t.api('/healthz')
  assert.is(res.status, 200)
})

test.run()
