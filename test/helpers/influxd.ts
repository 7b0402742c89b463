/**
 * A real InfluxDB 1.x for tests (Debian's `influxd`): free loopback ports, a
 * temporary directory for meta, data and WAL, optional authentication with an
 * admin user made on first start. It can be killed and started again on the
 * same directory and ports, as the outage tests need.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestInfluxd {
  url: string
  httpPort: number
  dir: string
  /** Set when started with auth: an admin that may do anything. */
  admin?: { username: string; password: string }
  /** Runs InfluxQL as the admin (or without credentials when auth is off). */
  query(q: string, db?: string, params?: Record<string, unknown>): Promise<InfluxResults>
  kill(): Promise<void>
  start(): Promise<void>
  stop(): Promise<void>
}

export interface InfluxSeries {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

export type InfluxResults = Array<{ series?: InfluxSeries[]; error?: string }>

export interface InfluxdOptions {
  auth?: boolean
  binary?: string
}

const startTimeoutMs = 15_000
const setpriv = '/usr/bin/setpriv'

export async function startInfluxd(options: InfluxdOptions = {}): Promise<TestInfluxd> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-influxd-'))
  const httpPort = await freePort()
  const rpcPort = await freePort()
  const configFile = join(dir, 'influxd.conf')
  writeFileSync(configFile, config(dir, httpPort, rpcPort, options.auth ?? false))

  const url = `http://127.0.0.1:${httpPort}`
  const admin = options.auth ? { username: 'admin', password: 'admin-secret' } : undefined
  let child: ChildProcess | undefined
  let output = ''

  async function start() {
    output = ''
    const binary = options.binary ?? '/usr/bin/influxd'
    // influxd dies with the test process even when that is killed: no orphan keeps its port.
    const [command, args] = existsSync(setpriv)
      ? [setpriv, ['--pdeathsig', 'SIGKILL', '--', binary, '-config', configFile]]
      : [binary, ['-config', configFile]]
    child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000)
    }
    child.stdout!.on('data', keep)
    child.stderr!.on('data', keep)
    await waitForPing(url, child, () => output)
  }

  async function stopWith(signal: NodeJS.Signals) {
    const running = child
    child = undefined
    if (!running || running.exitCode !== null) return
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve())
      running.kill(signal)
    })
  }

  const query = (q: string, db?: string, params?: Record<string, unknown>) =>
    runQuery(url, q, db, params, admin)

  await start()
  if (admin) {
    const { username, password } = admin
    await query(`CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`)
  }

  return {
    url,
    httpPort,
    dir,
    admin,
    query,
    start,
    kill: () => stopWith('SIGKILL'),
    async stop() {
      await stopWith('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

async function runQuery(
  url: string,
  q: string,
  db: string | undefined,
  params: Record<string, unknown> | undefined,
  auth: { username: string; password: string } | undefined,
): Promise<InfluxResults> {
  const body = new URLSearchParams({ q, epoch: 'ns' })
  if (db) body.set('db', db)
  if (params) body.set('params', JSON.stringify(params))
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' }
  if (auth) {
    const pair = Buffer.from(`${auth.username}:${auth.password}`).toString('base64')
    headers.authorization = `Basic ${pair}`
  }
  const res = await fetch(`${url}/query`, { method: 'POST', headers, body })
  const json = (await res.json()) as { results?: InfluxResults; error?: string }
  if (!res.ok || json.error) throw new Error(`influxd ${res.status}: ${json.error ?? 'no results'}`)
  return json.results ?? []
}

async function waitForPing(url: string, child: ChildProcess, output: () => string) {
  const until = Date.now() + startTimeoutMs
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`influxd exited early:\n${output()}`)
    try {
      const res = await fetch(`${url}/ping`)
      if (res.status === 204) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  child.kill('SIGKILL')
  throw new Error(`influxd did not answer /ping within ${startTimeoutMs} ms:\n${output()}`)
}

/** A port the kernel just handed out on loopback; influxd binds it right after. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

function config(dir: string, httpPort: number, rpcPort: number, auth: boolean) {
  return `reporting-disabled = true
bind-address = "127.0.0.1:${rpcPort}"

[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false

[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false

[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = ${auth}
  log-enabled = false
  pprof-enabled = false

[logging]
  level = "warn"
  suppress-logo = true
`
}
