import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { loadOrCreateDevCa } from '../../broker/dev-ca.ts'

const test = suite('npm run demo')

let root: string
/** Given as VIGIL_DATA_DIR: the demo must leave it alone. */
let operatorDir: string
/** The demo's TMPDIR, so its temporary data dir can be watched. */
let demoTmp: string
let tlsDir: string

test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'vigil-demo-test-'))
  operatorDir = join(root, 'data')
  demoTmp = join(root, 'tmp')
  mkdirSync(operatorDir)
  mkdirSync(demoTmp)
  // A ready certificate spares each run the pure-JS RSA key generation.
  tlsDir = join(tmpdir(), 'vigil-test-tls')
  loadOrCreateDevCa(tlsDir)
})
test.after(() => {
  rmSync(root, { recursive: true, force: true })
})

function demoDirs(): string[] {
  return readdirSync(demoTmp).filter((name) => name.startsWith('vigil-demo-'))
}

/** Runs the demo until it prints its dashboard URL, then stops it with a signal. */
async function runDemo(signal: NodeJS.Signals) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'service/demo.ts'], {
    env: {
      ...process.env,
      TMPDIR: demoTmp,
      VIGIL_DATA_DIR: operatorDir,
      VIGIL_HOST: '127.0.0.1',
      VIGIL_HTTP_PORT: '0',
      VIGIL_MQTT_PORT: '0',
      VIGIL_LOG_LEVEL: 'error',
      VIGIL_TLS_CERT: join(tlsDir, 'tls', 'server.pem'),
      VIGIL_TLS_KEY: join(tlsDir, 'tls', 'server-key.pem'),
      VIGIL_TLS_CA: join(tlsDir, 'tls', 'ca.pem'),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))

  const started = await Promise.race([
    waitFor(() => /^dashboard http:\/\/127\.0\.0\.1:\d+\//m.test(stdout), 60_000),
    exited.then(() => false),
  ])
  if (!started) child.kill('SIGKILL')
  assert.ok(started, `the demo started\n${stdout}\n${stderr}`)
  const whileRunning = demoDirs()
  const dataDirUsed =
    whileRunning.length === 1 && existsSync(join(demoTmp, whileRunning[0]!, 'vigil.sqlite'))

  child.kill(signal)
  const code = await exited
  return { code, stderr, whileRunning, dataDirUsed }
}

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    if (check()) return true
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return false
}

test('runs in a fresh temporary data dir of its own and removes it on SIGTERM', async () => {
  const run = await runDemo('SIGTERM')
  assert.is(run.code, 0, run.stderr)
  assert.is(run.whileRunning.length, 1, 'exactly one temporary dir, the one in use')
  assert.ok(run.dataDirUsed, 'the database lives in the temporary dir')
  assert.equal(readdirSync(operatorDir), [], 'VIGIL_DATA_DIR is left untouched')
  assert.equal(demoDirs(), [], 'the temporary data dir is gone')
})

test('runs a second time, and removes its data dir on SIGINT too', async () => {
  const run = await runDemo('SIGINT')
  assert.is(run.code, 0, run.stderr)
  assert.ok(run.dataDirUsed)
  assert.equal(demoDirs(), [], 'the temporary data dir is gone')
})

test.run()
