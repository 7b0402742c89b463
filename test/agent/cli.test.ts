import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { eventually, freePort, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('agent CLI')

let t: TestVigil
let dir: string
const running = new Set<ChildProcess>()

test.before(async () => {
  t = await startTestVigil()
  dir = mkdtempSync(join(tmpdir(), 'vigil-agent-cli-'))
})
test.after(async () => {
  for (const child of running) child.kill('SIGKILL')
  await t.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Run {
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<number | null>
}

function agentCli(...args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', 'agent/cli.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child)
      resolve(code)
    }),
  )
  return { child, stdout: () => stdout, stderr: () => stderr, exited }
}

/** The exit code, or null when the process is still running after the wait. */
async function exitCode(run: Run, waitMs = 15_000): Promise<number | null | 'running'> {
  const timeout = new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), waitMs))
  const code = await Promise.race([run.exited, timeout])
  if (code === 'running') run.child.kill('SIGKILL')
  return code
}

async function credentialsFile(name: string, change: Partial<AgentCredentials> = {}) {
  const site = await t.site()
  const file = join(dir, `${name}.json`)
  writeFileSync(file, JSON.stringify({ ...(await site.enroll()), ...change }))
  return file
}

test('run refuses a condition of an unknown kind before connecting', async () => {
  const file = await credentialsFile('bogus')
  const run = agentCli('run', '--credentials', file, '--conditions', '[{"kind":"bogus"}]')
  assert.is(await exitCode(run), 2)
  assert.match(run.stderr(), /--conditions\[0\]\.kind: /)
  assert.not.match(run.stdout(), /connected/)
})

test('run refuses a situation listed twice and conditions that are not JSON', async () => {
  const file = await credentialsFile('twice')
  const drive = { kind: 'drive-full', subject: 'D:' }
  const twice = JSON.stringify([drive, drive])
  const repeated = agentCli('run', '--credentials', file, '--conditions', twice)
  assert.is(await exitCode(repeated), 2)
  assert.match(repeated.stderr(), /listed twice/)

  const garbled = agentCli('run', '--credentials', file, '--conditions', '[{kind:drive-full}]')
  assert.is(await exitCode(garbled), 2)
  assert.match(garbled.stderr(), /--conditions must be JSON/)
})

test('run waits for a broker that is down, then says it is connected', async () => {
  const port = await freePort()
  const file = await credentialsFile('waits', { mqttUrl: `mqtts://localhost:${port}` })
  const run = agentCli('run', '--credentials', file)
  let later: TestVigil | undefined
  try {
    const retrying = /not connected \(.*ECONNREFUSED.*\); retrying in/
    await eventually(() => assert.match(run.stderr(), retrying), 15_000)
    assert.ok(run.child.exitCode === null, 'still running')

    later = await startTestVigil({ mqttPort: port }, t.dataDir)
    const connected = /^connected; heartbeat every 60000 ms$/m
    await eventually(() => assert.match(run.stdout(), connected), 15_000)
  } finally {
    run.child.kill('SIGTERM')
    await exitCode(run)
    await later?.close()
  }
})

test('retire-key retires an older key and keeps the one the server seals with', async () => {
  const file = await credentialsFile('keys')
  const api = ['--api', t.vigil.httpUrl, '--credentials', file]
  const inUse = agentCli('retire-key', '--kid', 'k1', ...api)
  assert.is(await exitCode(inUse), 2, 'k1 is the key it seals with')
  assert.match(inUse.stderr(), /rotate-key first/)

  const rotate = agentCli('rotate-key', ...api)
  assert.is(await exitCode(rotate), 0, rotate.stderr())
  assert.is((JSON.parse(readFileSync(file, 'utf8')) as AgentCredentials).keyId, 'k2')

  const retire = agentCli('retire-key', '--kid', 'k1', ...api)
  assert.is(await exitCode(retire), 0, retire.stderr())
  assert.match(retire.stdout(), /key k1 retired/)
  assert.match(retire.stdout(), /keys still valid: k2$/m)

  const again = agentCli('retire-key', '--kid', 'k1', ...api)
  assert.is(await exitCode(again), 1)
  assert.match(again.stderr(), /not-found: no key k1/)
})

test.run()
