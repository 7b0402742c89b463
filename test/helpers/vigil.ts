/**
 * Starts a real Vigil for a test: temporary data dir, free loopback ports,
 * the real TLS broker, and a ManualScheduler for the pipeline's clock.
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Agent, type AgentOptions } from '../../agent/agent.ts'
import { enroll, type AgentCredentials } from '../../agent/credentials.ts'
import { ManualScheduler } from '../../core/clock.ts'
import type { VigilOptions } from '../../core/config.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { loadOrCreateDevCa } from '../../broker/dev-ca.ts'
import { startVigil, type Vigil } from '../../service/vigil.ts'

const tlsCache = join(tmpdir(), 'vigil-test-tls')

/** RSA keys in pure JS take a moment; one CA serves the whole test run. */
function seedTls(dataDir: string) {
  if (!existsSync(join(tlsCache, 'tls', 'ca.pem'))) loadOrCreateDevCa(tlsCache)
  cpSync(join(tlsCache, 'tls'), join(dataDir, 'tls'), { recursive: true })
}

export interface TestVigil {
  vigil: Vigil
  scheduler: ManualScheduler
  logs: ReturnType<typeof createMemoryLogger>['lines']
  dataDir: string
  operatorToken: string
  api(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>
  /** A reseller with a token, an accepted installation and an active subscription. */
  site(options?: { reseller?: string; slc?: string; customer?: string }): Promise<TestSite>
  /** Lets the broker deliver in-flight publishes, then writes pending events. */
  settle(ms?: number): Promise<void>
  /** Restarts Vigil on the same ports; agents are stopped first unless kept. */
  restart(options?: { keepAgents?: boolean }): Promise<void>
  close(): Promise<void>
}

export interface TestSite {
  resellerId: string
  token: string
  slc: string
  enrollmentCode: string
  enroll(serverName?: string): Promise<AgentCredentials>
  agent(credentials: AgentCredentials, options?: Partial<AgentOptions>): Promise<Agent>
}

let siteCounter = 0

export async function startTestVigil(
  options: Partial<VigilOptions> = {},
  keepDir?: string,
): Promise<TestVigil> {
  const dataDir = keepDir ?? mkdtempSync(join(tmpdir(), 'vigil-test-'))
  if (!keepDir) seedTls(dataDir)
  const scheduler = new ManualScheduler()
  const { logger, lines } = createMemoryLogger('debug')
  const settings = {
    dataDir,
    host: '127.0.0.1',
    httpPort: 0,
    mqttPort: 0,
    heartbeatIntervalMs: 60_000,
    writeFlushMs: 5,
    ...options,
  }
  let vigil = await startVigil(settings, { scheduler, logger })
  const operatorToken = vigil.registry.createOperatorToken('tests')
  const agents: Agent[] = []
  const resellers = new Map<string, { id: string; token: string }>()

  const harness: TestVigil = {
    get vigil() {
      return vigil
    },
    scheduler,
    logs: lines,
    dataDir,
    operatorToken,

    api(path, init = {}) {
      const headers = new Headers(init.headers)
      if (init.token) headers.set('authorization', `Bearer ${init.token}`)
      if (init.json !== undefined) headers.set('content-type', 'application/json')
      const body = init.json !== undefined ? JSON.stringify(init.json) : init.body
      return fetch(`${vigil.httpUrl}${path}`, { ...init, headers, body })
    },

    async site(opts = {}) {
      const name = opts.reseller ?? 'Reseller A'
      let reseller = resellers.get(name)
      if (!reseller) {
        const created = vigil.registry.createReseller(name)
        reseller = { id: created.reseller.id, token: created.token }
        resellers.set(name, reseller)
      }
      const slc = opts.slc ?? `SLC-${++siteCounter}-${Date.now().toString(36)}`
      const { enrollmentCode } = vigil.registry.registerInstallation(
        reseller.id,
        slc,
        opts.customer ?? `Customer ${slc}`,
      )
      vigil.registry.setSubscription(slc, scheduler.now() + 365 * 24 * 3600_000)
      const owner = reseller
      return {
        resellerId: owner.id,
        token: owner.token,
        slc,
        enrollmentCode,
        enroll: (serverName = 'Recorder 1') =>
          enroll(vigil.httpUrl, { slc, enrollmentCode, serverName, acceptedBy: 'site admin' }),
        async agent(credentials, agentOptions = {}) {
          const agent = new Agent(credentials, {
            mqttUrl: `mqtts://localhost:${vigil.mqttPort}`,
            now: () => scheduler.now(),
            // The agent's timers stay idle unless a test drives them by hand.
            statusEveryMs: 24 * 3600_000,
            ...agentOptions,
          })
          agents.push(agent)
          await agent.start()
          return agent
        },
      }
    },

    async settle(ms = 60) {
      await new Promise((resolve) => setTimeout(resolve, ms))
      vigil.flush()
    },

    async restart(restartOptions = {}) {
      if (!restartOptions.keepAgents) await Promise.all(agents.splice(0).map((a) => a.stop()))
      const ports = { httpPort: vigil.httpPort, mqttPort: vigil.mqttPort }
      await vigil.close()
      vigil = await startVigil({ ...settings, ...ports }, { scheduler, logger })
    },

    async close() {
      await Promise.all(agents.splice(0).map((a) => a.stop()))
      await vigil.close()
      if (!keepDir) rmSync(dataDir, { recursive: true, force: true })
    },
  }
  return harness
}

/** Polls until the check passes: for effects that cross real sockets. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 5_000): Promise<T> {
  const until = Date.now() + timeoutMs
  let lastError: unknown
  while (Date.now() < until) {
    try {
      return await check()
    } catch (error) {
      lastError = error
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  throw lastError
}

/** A loopback port nobody listens on (yet). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
