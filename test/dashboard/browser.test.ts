/**
 * The dashboard in real headless Chromium against a real Vigil (TLS broker,
 * agents over MQTT, SQLite). Heartbeat silence is simulated in virtual time:
 * the pipeline's clock jumps three intervals in a millisecond.
 */
import type { Browser } from 'playwright-core'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  launchBrowser,
  openPage,
  screenshot,
  signIn,
  waitForLiveLink,
  type TestBrowserPage,
} from '../helpers/browser.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'
import { createServer } from 'node:net'

const test = suite('dashboard in a browser')
const threeMissedHeartbeatsMs = 3 * 60_000 + 1_000
let t: TestVigil
let browser: Browser
let opened: TestBrowserPage[] = []

test.before(async () => {
  ;[t, browser] = await Promise.all([startTestVigil(), launchBrowser()])
})
test.after(async () => {
  await browser.close()
  await t.close()
})
test.after.each(async () => {
  for (const { context, problems } of opened.splice(0)) {
    await context.close()
    assert.equal(problems, [], 'no script errors, no requests beyond the test Vigil')
  }
})

async function open(options: Parameters<typeof openPage>[2] & { baseUrl?: string } = {}) {
  const opening = await openPage(browser, options.baseUrl ?? t.vigil.httpUrl, options)
  opening.page.setDefaultTimeout(5_000)
  opened.push(opening)
  return opening
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
    server.once('error', reject)
  })
}

const inErrorCount = (p: TestBrowserPage) => p.page.textContent('[data-count="inError"]')

test("signs in with the token and shows only the reseller's own installations", async () => {
  const own = await t.site({ reseller: 'North Security', customer: 'Harbour Storage' })
  const healthy = await t.site({ reseller: 'North Security', customer: 'Quay Logistics' })
  const foreign = await t.site({ reseller: 'South Security', customer: 'Competitor Client' })
  for (const site of [own, foreign]) {
    const agent = await site.agent(await site.enroll())
    await agent.setConditions([{ kind: 'drive-full', subject: 'D:', details: { usedPercent: 99 } }])
  }
  await (await healthy.agent(await healthy.enroll())).heartbeat()
  await t.settle(150)

  const p = await open()
  await signIn(p.page, own.token)
  const row = p.page.locator(`#i-${own.slc}`)
  assert.match(await row.innerText(), /Error[\s\S]*Harbour Storage[\s\S]*drive D: full/)
  assert.is(await p.page.locator('#installations tbody tr').count(), 1, 'only the one in error')
  assert.is(await inErrorCount(p), '1')
  assert.is(await p.page.textContent('[data-count="all"]'), '2')
  assert.not.match(await p.page.content(), /Competitor Client/)

  const cookie = (await p.context.cookies()).find((c) => c.name === 'vigil_session')
  assert.ok(cookie?.httpOnly, 'the token cookie is HttpOnly')
  assert.is(cookie?.sameSite, 'Lax')
  assert.not.match(await p.page.evaluate(() => document.cookie), /vigil_session/)
  await screenshot(p.page, 'sign-in-own-installations')

  await p.page.click('text=Sign out')
  await p.page.waitForURL((url) => url.pathname === '/sign-in')
  const after = await p.page.goto('/')
  assert.is(after?.status(), 401, 'signed out: the overview is refused')
  assert.ok(await p.page.isVisible('#token'), 'and offers the sign-in form')
})

test('shows a server going unavailable and coming back live, without a reload', async () => {
  const site = await t.site({ reseller: 'Live Security', customer: 'Harbour Storage' })
  const agent = await site.agent(await site.enroll())
  await t.settle()

  const p = await open()
  await signIn(p.page, site.token)
  await waitForLiveLink(p.page)
  await p.page.evaluate(() => Object.assign(window, { vigilMarker: 'same page' }))
  assert.is(await inErrorCount(p), '0')

  agent.setSilent(true)
  t.scheduler.advanceBy(threeMissedHeartbeatsMs)
  const row = p.page.locator(`#i-${site.slc}`)
  await row.waitFor()
  assert.match(await row.innerText(), /Unavailable[\s\S]*unavailable for 3 min/)
  assert.is(await inErrorCount(p), '1')
  assert.is(await p.page.title(), '1 in error · Vigil')
  await screenshot(p.page, 'live-server-unavailable')

  agent.setSilent(false)
  await row.waitFor({ state: 'detached' })
  assert.is(await inErrorCount(p), '0')
  assert.ok(await p.page.isVisible('#empty'), 'says nothing needs attention')
  assert.is(
    await p.page.evaluate(() => (window as { vigilMarker?: string }).vigilMarker),
    'same page',
    'no reload happened',
  )
  await screenshot(p.page, 'live-server-back')
})

test('follows one installation live and explains what unavailable can mean', async () => {
  const site = await t.site({ reseller: 'Detail Security', customer: 'Dune Bakery' })
  const agent = await site.agent(await site.enroll('Recorder East'))
  await t.settle()

  const p = await open()
  await signIn(p.page, site.token)
  await p.page.goto(`/installations/${site.slc}`)
  await waitForLiveLink(p.page)
  assert.is(await p.page.textContent('h1'), 'Dune Bakery')
  assert.match(await p.page.innerText('.servers'), /Recorder East\s+Available/)
  assert.match(await p.page.innerText('.note'), /internet link at the site/)

  await agent.setConditions([{ kind: 'camera-unreachable', subject: 'Gate 2' }])
  await p.page.locator('text=camera Gate 2 unreachable').first().waitFor()

  agent.setSilent(true)
  t.scheduler.advanceBy(threeMissedHeartbeatsMs)
  await p.page.locator('.servers .badge.down').waitFor()
  assert.match(await p.page.innerText('.servers'), /Unavailable\s+for 3 min/)
  assert.ok(await p.page.isVisible('.note.strong'), 'the internet-link note stands out')
  await screenshot(p.page, 'installation-unavailable')

  agent.setSilent(false)
  await p.page.locator('.servers .badge.ok').waitFor()
  assert.match(await p.page.innerText('.events'), /Recorder East available again after 3 min/)
  assert.match(await p.page.innerText('.events'), /Recorder East became unavailable/)
  assert.ok(await p.page.isVisible('.timeline rect.t-down'), 'the outage is on the timeline')
  await screenshot(p.page, 'installation-back')
})

test('the show-all switch and the search narrow the list, also for live rows', async () => {
  const reseller = 'Search Security'
  const harbour = await t.site({ reseller, customer: 'Harbour Storage' })
  const quay = await t.site({ reseller, customer: 'Quay Logistics' })
  const dune = await t.site({ reseller, customer: 'Dune Bakery' })
  const harbourAgent = await harbour.agent(await harbour.enroll())
  await harbourAgent.setConditions([{ kind: 'camera-unreachable', subject: 'Cam 1' }])
  const duneAgent = await dune.agent(await dune.enroll())
  await (await quay.agent(await quay.enroll())).heartbeat()
  await t.settle(150)

  const p = await open()
  await signIn(p.page, harbour.token)
  await p.page.click('.switch >> text=All')
  await p.page.waitForURL((url) => url.searchParams.get('all') === '1')
  assert.is(await p.page.locator('#installations tbody tr').count(), 3)
  const names = await p.page.locator('#installations .customer').allInnerTexts()
  assert.equal(
    names,
    ['Harbour Storage', 'Dune Bakery', 'Quay Logistics'],
    'worst first, then by name',
  )

  await waitForLiveLink(p.page)
  await p.page.fill('#q', 'quay')
  await p.page.waitForFunction(
    () => document.querySelectorAll('#installations tbody tr').length === 1,
  )
  assert.is(await p.page.textContent('#installations .customer'), 'Quay Logistics')
  assert.is(new URL(p.page.url()).searchParams.get('q'), 'quay')

  // A change to an installation the search excludes must not slip into the list.
  await duneAgent.setConditions([{ kind: 'drive-full', subject: 'E:' }])
  await p.page.waitForFunction(
    () => document.querySelector('[data-count="inError"]')?.textContent === '2',
  )
  assert.is(await p.page.locator('#installations tbody tr').count(), 1)
  await screenshot(p.page, 'switch-and-search')
})

test('a foreign installation URL answers 404 and shows nothing of it', async () => {
  const own = await t.site({ reseller: 'Own Security', customer: 'Own Customer' })
  const foreign = await t.site({ reseller: 'Other Security', customer: 'Secret Customer' })

  const p = await open()
  await signIn(p.page, own.token)
  const response = await p.page.goto(`/installations/${foreign.slc}`)
  assert.is(response?.status(), 404)
  assert.match((await p.page.textContent('h1')) ?? '', /Not found/)
  assert.not.match(await p.page.content(), /Secret Customer/)
  await screenshot(p.page, 'foreign-installation-404')
})

test('a customer name full of HTML renders as text, on the page and live', async () => {
  const name = '<img src=x onerror="window.vigilHacked=1"><b>Bold & Co</b>'
  const site = await t.site({ reseller: 'Escape Security', customer: name })
  const agent = await site.agent(await site.enroll())
  await t.settle()

  const p = await open()
  await signIn(p.page, site.token)
  await waitForLiveLink(p.page)
  await agent.setConditions([{ kind: 'license-shortage', details: { used: 12, available: 10 } }])
  const row = p.page.locator(`#i-${site.slc}`)
  await row.waitFor()
  assert.is(await row.locator('.customer').textContent(), name, 'arrived live, shown as text')
  assert.is(await row.locator('img, b').count(), 0)
  assert.match(await row.innerText(), /12 cameras, only 10 licenses/)

  await p.page.goto(`/installations/${site.slc}`)
  assert.is(await p.page.textContent('h1'), name)
  assert.is(await p.page.locator('main img, main b').count(), 0)
  const hacked = await p.page.evaluate(() => (window as { vigilHacked?: number }).vigilHacked)
  assert.is(hacked, undefined, 'no script from the name ran')
  await screenshot(p.page, 'html-laden-name')
})

test('notes a dropped live link, reconnects and catches up', async () => {
  // A Vigil of its own, on a fixed port, so that a restart drops the link and comes back.
  const own = await startTestVigil({ httpPort: await freePort() })
  try {
    const site = await own.site({ reseller: 'Link Security', customer: 'Harbour Storage' })
    const credentials = await site.enroll()
    await site.agent(credentials)
    await own.settle()

    const p = await open({ baseUrl: own.vigil.httpUrl })
    await signIn(p.page, site.token)
    await waitForLiveLink(p.page)
    assert.not.ok(await p.page.isVisible('#live-note'))

    // Vigil goes away, and the browser's reconnects fail until the test lets them through.
    let refusedReconnects = 0
    await p.context.route('**/live?*', (route) => {
      refusedReconnects++
      return route.abort('connectionrefused')
    })
    await own.restart()
    await p.page.waitForSelector('body[data-link="down"]')
    assert.ok(await p.page.isVisible('#live-note'), 'the note shows while the link is down')
    assert.match((await p.page.textContent('#live-pill')) ?? '', /Reconnecting/)
    await screenshot(p.page, 'live-link-dropped')

    // Something changes while the browser cannot hear it.
    const agent = await site.agent(credentials)
    await agent.setConditions([{ kind: 'archive-move-failed', subject: 'Archive 7' }])
    await own.settle(150)
    await eventually(() => assert.ok(refusedReconnects > 0, 'the browser kept trying to reconnect'))
    await p.context.unroute('**/live?*')
    await p.page.locator(`#i-${site.slc}`).waitFor({ timeout: 10_000 })
    await waitForLiveLink(p.page)
    assert.not.ok(await p.page.isVisible('#live-note'))
    assert.match(await p.page.innerText(`#i-${site.slc}`), /archive file move errors: Archive 7/)
    // Chromium logs each refused reconnect; those were the point of this test.
    p.problems.splice(0)
  } finally {
    await own.close()
  }
})

test('reads on a phone without sideways scrolling', async () => {
  const site = await t.site({
    reseller: 'Phone Security',
    customer: 'Harbour Storage & Cold Chain Ltd',
  })
  const agent = await site.agent(await site.enroll())
  await agent.setConditions([
    { kind: 'camera-unreachable', subject: 'Loading bay' },
    { kind: 'camera-unreachable', subject: 'Gate' },
    { kind: 'drive-full', subject: 'D:' },
  ])
  await t.settle(150)

  const p = await open({ viewport: { width: 390, height: 844 } })
  await signIn(p.page, site.token)
  const overflow = await p.page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
  assert.is(overflow, 0)
  assert.match(await p.page.innerText(`#i-${site.slc}`), /2 cameras unreachable; drive D: full/)
  await screenshot(p.page, 'phone-overview')

  // The installation page keeps each server's availability on a phone (issue 4).
  await p.page.goto(`/installations/${site.slc}`)
  const availability = p.page.locator('.servers td[data-label="Availability"]')
  assert.ok(await availability.isVisible(), 'availability is shown')
  const box = await availability.boundingBox()
  assert.ok(box && box.width > 0 && box.x + box.width <= 390, 'availability fits the screen')
  const pageOverflow = await p.page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  )
  assert.is(pageOverflow, 0)
  await screenshot(p.page, 'phone-installation')
})

test.run()
