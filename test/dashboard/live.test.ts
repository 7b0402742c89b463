/**
 * The live stream over a real socket: what it carries, for whom, and how a
 * reconnecting page catches up.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('dashboard live stream')
let t: TestVigil

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await t.close()
})

interface Message {
  event: string
  id?: string
  data: Record<string, unknown>
  raw: string
}

/** Reads SSE messages from a real response, as a browser's EventSource would. */
async function openStream(path: string, token: string, headers: Record<string, string> = {}) {
  const abort = new AbortController()
  const res = await fetch(`${t.vigil.httpUrl}${path}`, {
    headers: { cookie: `vigil_session=${token}`, ...headers },
    signal: abort.signal,
  })
  assert.is(res.status, 200)
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/)
  const messages: Message[] = []
  const reading = collect(res.body!, messages).catch(() => undefined)

  return {
    messages,
    async next(match: (m: Message) => boolean, timeoutMs = 3_000): Promise<Message> {
      const until = Date.now() + timeoutMs
      while (Date.now() < until) {
        const found = messages.find(match)
        if (found) return found
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
      throw new Error(`no matching message; got ${messages.map((m) => m.event).join(', ')}`)
    },
    async close() {
      abort.abort()
      await reading
    },
  }
}

async function collect(body: ReadableStream<Uint8Array>, into: Message[]) {
  const decoder = new TextDecoder()
  let buffer = ''
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true })
    let end
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      const field = (name: string) =>
        block
          .split('\n')
          .filter((l) => l.startsWith(`${name}: `))
          .map((l) => l.slice(name.length + 2))
          .join('\n')
      into.push({
        event: field('event'),
        id: field('id') || undefined,
        data: JSON.parse(field('data') || '{}'),
        raw: block,
      })
    }
  }
}

function rowsFor(slc: string) {
  return (m: Message) =>
    m.event === 'rows' && (m.data.rows as Array<{ slc: string }>).some((r) => r.slc === slc)
}

async function siteWithAgent(reseller: string, customer: string) {
  const site = await t.site({ reseller, customer })
  const agent = await site.agent(await site.enroll())
  await t.settle()
  return { site, agent }
}

async function inErrorFor(site: TestSite) {
  const res = await t.api('/api/installations', { token: site.token })
  const body = (await res.json()) as { items: Array<{ slc: string }> }
  return body.items.some((i) => i.slc === site.slc)
}

test("streams changes to the reseller's own installations, nothing of others'", async () => {
  const own = await siteWithAgent('Stream Security', 'Harbour Storage')
  const other = await siteWithAgent('Rival Security', 'Secret Customer')
  const stream = await openStream('/live', own.site.token)
  await stream.next((m) => m.event === 'hello')

  // The other reseller's change is committed first, so a leak would arrive before ours.
  await other.agent.setConditions([{ kind: 'drive-full', subject: 'D:' }])
  for (let i = 0; i < 50 && !(await inErrorFor(other.site)); i++) await t.settle(20)
  await own.agent.setConditions([{ kind: 'camera-unreachable', subject: 'Cam 1' }])

  const message = await stream.next(rowsFor(own.site.slc))
  const row = (message.data.rows as Array<{ slc: string; inError: boolean; html: string }>)[0]!
  assert.ok(row.inError)
  assert.match(row.html, /camera Cam 1 unreachable/)
  assert.equal(message.data.counts, { all: 1, healthy: 0, inError: 1, unmonitored: 0 })
  await new Promise((resolve) => setTimeout(resolve, 400))
  const everything = stream.messages.map((m) => m.raw).join('\n')
  assert.not.match(everything, new RegExp(other.site.slc))
  assert.not.match(everything, /Secret Customer/)

  // A cleared error sends the row once more, now healthy, so the page can drop it.
  await own.agent.setConditions([])
  const cleared = await stream.next((m) => rowsFor(own.site.slc)(m) && m !== message)
  assert.not.ok((cleared.data.rows as Array<{ inError: boolean }>)[0]!.inError)
  await stream.close()
})

test("says nothing at all about a flood of changes at another reseller's sites", async () => {
  const own = await siteWithAgent('Quiet Security', 'Harbour Storage')
  const rival = t.vigil.registry.createReseller('Flood Security').reseller
  const foreign = Array.from(
    { length: 250 },
    (_, i) =>
      t.vigil.registry.registerInstallation(rival.id, `SLC-flood-${i}`, `Flooded ${i}`).installation
        .slc,
  )
  const stream = await openStream('/live', own.site.token)
  await stream.next((m) => m.event === 'hello')

  // 250 foreign sites go down at once: more than the row limit of one message.
  const at = t.scheduler.now()
  t.vigil.committed$.next(
    foreign.map((slc) => ({
      type: 'serverUnavailable' as const,
      at,
      slc,
      serverId: `srv-${slc}`,
      cause: 'deadline',
      lastSeenAt: at - 180_000,
    })),
  )
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.equal(
    stream.messages.map((m) => m.event),
    ['hello'],
  )

  // Mixed with one change of its own, only that row arrives, and no resync.
  t.vigil.committed$.next(
    [...foreign, own.site.slc].map((slc) => ({
      type: 'serverUnavailable' as const,
      at,
      slc,
      serverId: `srv-${slc}`,
      cause: 'deadline',
      lastSeenAt: at - 180_000,
    })),
  )
  const message = await stream.next(rowsFor(own.site.slc))
  assert.is((message.data.rows as unknown[]).length, 1)
  assert.not.ok(stream.messages.some((m) => m.event === 'resync'))
  assert.not.match(stream.messages.map((m) => m.raw).join('\n'), /flood|Flooded/i)
  await stream.close()
})

test('catches a reconnecting page up from its last message id', async () => {
  const { site, agent } = await siteWithAgent('Reconnect Security', 'Quay Logistics')
  const first = await openStream('/live', site.token)
  await first.next((m) => m.event === 'hello')
  await first.close()

  const lastHeard = t.scheduler.now()
  t.scheduler.advanceBy(1_000)
  await agent.setConditions([{ kind: 'file-delete-failed', subject: 'clip-0042.mkv' }])
  for (let i = 0; i < 50 && !(await inErrorFor(site)); i++) await t.settle(20)

  const again = await openStream('/live', site.token, { 'last-event-id': String(lastHeard) })
  const message = await again.next(rowsFor(site.slc))
  assert.match(JSON.stringify(message.data), /could not delete a file: clip-0042.mkv/)
  assert.ok(Number(message.id) >= lastHeard, 'the message id is the time it describes')
  await again.close()

  const current = await openStream(`/live?since=${t.scheduler.now() + 1}`, site.token)
  await current.next((m) => m.event === 'hello')
  await new Promise((resolve) => setTimeout(resolve, 400))
  assert.not.ok(current.messages.some(rowsFor(site.slc)), 'nothing new since then')
  await current.close()
})

test('tells a page to reload its data when it was rendered before Vigil remembers', async () => {
  const { site } = await siteWithAgent('Resync Security', 'Dune Bakery')
  const stream = await openStream('/live?since=1', site.token)
  await stream.next((m) => m.event === 'resync')
  await stream.close()
})

test('sends an installation page its body on connect and whenever the site speaks', async () => {
  const { site, agent } = await siteWithAgent('Detail Stream Security', 'Dune Bakery')
  const stream = await openStream(`/live?slc=${site.slc}`, site.token)
  const first = await stream.next((m) => m.event === 'installation')
  assert.match(String(first.data.html), /<div id="installation"/)
  assert.match(String(first.data.html), /Dune Bakery/)

  t.scheduler.advanceBy(30_000)
  await agent.heartbeat()
  const second = await stream.next((m) => m.event === 'installation' && m !== first)
  assert.match(String(second.data.html), /under a minute<\/span> ago/)
  await stream.close()
})

test('ends its streams when Vigil stops, instead of holding the shutdown open', async () => {
  const own = await startTestVigil()
  const site = await own.site({ reseller: 'Shutdown Security' })
  const res = await fetch(`${own.vigil.httpUrl}/live`, {
    headers: { authorization: `Bearer ${site.token}` },
  })
  const reader = res.body!.getReader()
  await reader.read()
  assert.match(own.vigil.metrics.render(), /vigil_dashboard_live_streams 1/)

  const started = Date.now()
  await own.close()
  assert.ok(Date.now() - started < 2_000, `closed in ${Date.now() - started} ms`)
  assert.ok((await reader.read()).done, 'the stream ended')
})

test.run()
