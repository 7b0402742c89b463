/**
 * Real headless Chromium (Debian's /usr/bin/chromium) for the dashboard
 * tests, driven by playwright-core. One browser serves a whole suite; each
 * test gets a fresh context. A context may load only from the test's own
 * loopback Vigil: anything else is aborted and fails the test.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'

export const screenshotDir = join('test-output', 'screenshots')

const launchArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
]

export interface TestBrowserPage {
  context: BrowserContext
  page: Page
  /** Script errors and requests that tried to leave the test's Vigil. */
  problems: string[]
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: launchArgs })
}

export async function openPage(
  browser: Browser,
  baseUrl: string,
  options: { viewport?: { width: number; height: number }; timezoneId?: string } = {},
): Promise<TestBrowserPage> {
  const context = await browser.newContext({
    baseURL: baseUrl,
    viewport: options.viewport ?? { width: 1280, height: 800 },
    timezoneId: options.timezoneId ?? 'Europe/Amsterdam',
    locale: 'en-GB',
  })
  const problems: string[] = []
  const origin = new URL(baseUrl).origin
  await context.route('**/*', (route) => {
    if (new URL(route.request().url()).origin === origin) return route.continue()
    problems.push(`blocked request to ${route.request().url()}`)
    return route.abort()
  })

  const page = await context.newPage()
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`))
  page.on('console', (message) => {
    if (message.type() === 'error' && !expectedConsoleError(message.text())) {
      problems.push(`console: ${message.text()}`)
    }
  })
  return { context, page, problems }
}

/** Signs in through the form, as a reseller would. */
export async function signIn(page: Page, token: string): Promise<void> {
  await page.goto('/sign-in')
  await page.fill('#token', token)
  await Promise.all([
    page.waitForURL((url) => url.pathname === '/'),
    page.click('button[type=submit]'),
  ])
}

/** Waits until the page's live stream has said hello. */
export async function waitForLiveLink(page: Page): Promise<void> {
  await page.waitForSelector('body[data-link="up"]', { timeout: 5_000 })
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true })
  const path = join(screenshotDir, `${name}.png`)
  await page.screenshot({ path, fullPage: true })
  return path
}

/** A refused page (401/404) is logged by Chromium as a failed resource; tests expect those. */
function expectedConsoleError(text: string) {
  return /the server responded with a status of (401|404)/.test(text)
}
