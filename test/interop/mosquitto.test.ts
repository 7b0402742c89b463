import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { refusals } from '../broker/mqtt-client.ts'
import { eventually, startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('interop: mosquitto_pub over TLS')
const mosquittoPub = '/usr/bin/mosquitto_pub'

let t: TestVigil
let site: TestSite
let creds: AgentCredentials

/** Runs mosquitto_pub against this Vigil's broker; resolves with its exit code and stderr. */
function mosquitto(args: string[]): Promise<{ code: number; stderr: string }> {
  const common = [
    '--cafile',
    t.vigil.caFile,
    '-h',
    'localhost',
    '-p',
    String(t.vigil.mqttPort),
    '-V',
    'mqttv311',
  ]
  return new Promise((resolve) => {
    execFile(mosquittoPub, [...common, ...args], { timeout: 10_000 }, (error, _stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
      resolve({ code, stderr })
    })
  })
}

function identity(c: AgentCredentials, password = c.password) {
  return ['-i', c.serverId, '-u', c.serverId, '-P', password]
}

function heartbeatsSeen() {
  return t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' })
}

test.before(async () => {
  assert.ok(existsSync(mosquittoPub), `${mosquittoPub} is installed (Debian mosquitto-clients)`)
  t = await startTestVigil()
  site = await t.site()
  creds = await site.enroll('Recorder M')
})
test.after(async () => {
  await t.close()
})

test("counts an empty heartbeat sent by mosquitto_pub with a server's credentials", async () => {
  const before = heartbeatsSeen()
  const run = await mosquitto([...identity(creds), '-t', creds.topics.heartbeat, '-n', '-q', '1'])
  assert.is(run.code, 0, run.stderr)

  await eventually(() => assert.is(heartbeatsSeen(), before + 1), 3_000)
  await eventually(async () => {
    t.vigil.flush()
    const res = await t.api(`/api/installations/${site.slc}`, { token: site.token })
    type Detail = { serverDetails: Array<{ id: string; lastSeenAt: number | null }> }
    const body = (await res.json()) as Detail
    const server = body.serverDetails.find((s) => s.id === creds.serverId)
    assert.is(server?.lastSeenAt, t.scheduler.now(), 'the reseller sees the server alive')
  }, 3_000)
})

test('refuses mosquitto_pub with a wrong password, and counts it', async () => {
  const before = refusals(t, 'auth.bad-credentials')
  const heartbeats = heartbeatsSeen()
  const run = await mosquitto([...identity(creds, 'wrong'), '-t', creds.topics.heartbeat, '-n'])
  assert.is.not(run.code, 0)
  assert.is(refusals(t, 'auth.bad-credentials'), before + 1)
  assert.is(heartbeatsSeen(), heartbeats)
})

test("refuses mosquitto_pub on another server's topic, and counts it", async () => {
  const other = await site.enroll('Recorder N')
  const before = refusals(t, 'publish.foreign-topic')
  const heartbeats = heartbeatsSeen()
  await mosquitto([...identity(creds), '-t', other.topics.heartbeat, '-n', '-q', '1'])
  await eventually(() => assert.is(refusals(t, 'publish.foreign-topic'), before + 1), 3_000)
  assert.is(heartbeatsSeen(), heartbeats)
})

test('refuses a retained heartbeat from mosquitto_pub, and counts it', async () => {
  const before = refusals(t, 'publish.retain-refused')
  await mosquitto([...identity(creds), '-t', creds.topics.heartbeat, '-n', '-r', '-q', '1'])
  await eventually(() => assert.is(refusals(t, 'publish.retain-refused'), before + 1), 3_000)
})

test('tells mosquitto_pub speaking MQTT 3.1 its protocol version is unacceptable', async () => {
  const before = refusals(t, 'auth.protocol')
  // The later -V wins over the mqttv311 of the common arguments.
  const topic = ['-t', creds.topics.heartbeat, '-n']
  const run = await mosquitto([...identity(creds), '-V', 'mqttv31', ...topic])
  assert.is.not(run.code, 0)
  assert.match(run.stderr, /unacceptable protocol version/i)
  assert.is(refusals(t, 'auth.protocol'), before + 1)
})

test.run()
