import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli } from '../../service/cli.ts'
import type { HistoryCredentials } from '../../store/influx/provision.ts'
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts'
import { eventually, startTestVigil, type TestSite, type TestVigil } from '../helpers/vigil.ts'

const test = suite('InfluxDB isolation per reseller (auth on)')
let influxd: TestInfluxd
let t: TestVigil
let alpha: TestSite
let beta: TestSite
let alphaCredentials: HistoryCredentials

test.before(async () => {
  influxd = await startInfluxd({ auth: true })
  t = await startTestVigil({
    influxUrl: influxd.url,
    influxUsername: influxd.admin!.username,
    influxPassword: influxd.admin!.password,
    influxRetryMaxMs: 200,
  })
  alpha = await t.site({ reseller: 'Alpha' })
  beta = await t.site({ reseller: 'Beta' })
  for (const site of [alpha, beta]) {
    const agent = await site.agent(await site.enroll())
    await agent.setConditions([{ kind: 'drive-full', subject: 'D:', details: { usedPercent: 99 } }])
  }
  await eventually(async () => {
    await t.settle(20)
    assert.is(await countEvents(admin(), t.vigil.options.influxDatabase), 2)
  })
  alphaCredentials = await issue(alpha.resellerId)
})

test.after(async () => {
  await t.close()
  await influxd.stop()
})

type Login = { username: string; password: string }

/** InfluxQL over HTTP as the given user; returns the statement's error, if any, as text. */
async function influxAs(credentials: Login, q: string, db?: string) {
  const body = new URLSearchParams({ q, ...(db ? { db } : {}) })
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
  const res = await fetch(`${influxd.url}/query`, {
    method: 'POST',
    body,
    headers: { authorization: `Basic ${basic}` },
  })
  const json = (await res.json()) as {
    error?: string
    results?: Array<{ error?: string; series?: Array<{ values: unknown[][] }> }>
  }
  const result = json.results?.[0]
  return { status: res.status, error: json.error ?? result?.error, series: result?.series }
}

async function countEvents(credentials: Login, db: string) {
  const q = 'SELECT count("event_id") FROM "events"'
  const { error, series } = await influxAs(credentials, q, db)
  if (error) throw new Error(error)
  return Number(series?.[0]?.values[0]?.[1] ?? 0)
}

const admin = () => influxd.admin!
const resellerDb = (id: string) => `${t.vigil.options.influxDatabase}_${id}`

async function issue(resellerId: string): Promise<HistoryCredentials> {
  const res = await t.api(`/api/operator/resellers/${resellerId}/history-credentials`, {
    method: 'POST',
    token: t.operatorToken,
  })
  assert.is(res.status, 200)
  return ((await res.json()) as { history: HistoryCredentials }).history
}

test('gives each reseller his own database, readable with his credentials', async () => {
  assert.is(alphaCredentials.database, resellerDb(alpha.resellerId))
  assert.is(await countEvents(alphaCredentials, alphaCredentials.database), 1)
})

test("refuses reseller A's credentials on B's database and on the fleet database", async () => {
  for (const db of [resellerDb(beta.resellerId), t.vigil.options.influxDatabase]) {
    const answer = await influxAs(alphaCredentials, 'SELECT * FROM "events"', db)
    assert.match(String(answer.error), /not authorized/, db)
    assert.is(answer.series, undefined)
  }
  const databases = await influxAs(alphaCredentials, 'SHOW DATABASES')
  assert.equal(databases.series?.[0]?.values, [[alphaCredentials.database]])
})

test('lets a reseller read only: no writes, no users, no grants', async () => {
  const { username, password, database } = alphaCredentials
  const basic = Buffer.from(`${username}:${password}`).toString('base64')
  const write = await fetch(`${influxd.url}/write?db=${database}`, {
    method: 'POST',
    body: 'events,slc=x event_id=1',
    headers: { authorization: `Basic ${basic}` },
  })
  assert.is(write.status, 403)
  for (const q of [
    'CREATE USER "x" WITH PASSWORD \'y\' WITH ALL PRIVILEGES',
    `GRANT READ ON "${resellerDb(beta.resellerId)}" TO "${alphaCredentials.username}"`,
    `DROP DATABASE "${alphaCredentials.database}"`,
  ]) {
    const { error } = await influxAs(alphaCredentials, q)
    assert.match(String(error), /not authorized|requires admin/, q)
  }
  assert.is(await countEvents(admin(), resellerDb(beta.resellerId)), 1, "B's data is untouched")
})

test('creates the database and reader when the operator creates a reseller', async () => {
  const res = await t.api('/api/operator/resellers', {
    method: 'POST',
    token: t.operatorToken,
    json: { name: 'Gamma' },
  })
  assert.is(res.status, 201)
  const { id, history } = (await res.json()) as { id: string; history: HistoryCredentials }
  assert.is(history.database, resellerDb(id))
  assert.is(history.url, influxd.url)
  assert.is(await countEvents(history, history.database), 0)
  const foreign = await influxAs(history, 'SELECT * FROM "events"', alphaCredentials.database)
  assert.match(String(foreign.error), /not authorized/)
})

test('a new password replaces the old one', async () => {
  const fresh = await issue(beta.resellerId)
  const again = await issue(beta.resellerId)
  assert.is.not(fresh.password, again.password)
  const stale = await influxAs(fresh, 'SHOW DATABASES')
  assert.equal([stale.status, stale.error], [401, 'authorization failed'])
  assert.is(await countEvents(again, again.database), 1)
})

test('gives analysts a read-only path to the whole fleet', async () => {
  const analyst = await t.vigil.influx!.provisioner.issueFleetReader('analyst')
  assert.is(await countEvents(analyst, t.vigil.options.influxDatabase), 2, 'both resellers')
  const answer = await influxAs(analyst, 'SELECT * FROM "events"', resellerDb(alpha.resellerId))
  assert.match(String(answer.error), /not authorized/)
})

test('creates what is missing at start-up (resellers made while InfluxDB was away)', async () => {
  const { reseller } = t.vigil.registry.createReseller('Delta')
  await t.restart()
  await eventually(async () => {
    const users = await influxAs(admin(), 'SHOW USERS')
    assert.ok(users.series?.[0]?.values.some((v) => v[0] === resellerDb(reseller.id)))
  })
  const databases = await influxAs(admin(), 'SHOW DATABASES')
  assert.ok(databases.series?.[0]?.values.some((v) => v[0] === resellerDb(reseller.id)))
})

/** Runs the operator CLI with the service's environment; returns what it printed. */
async function cli(...argv: string[]) {
  const env = {
    VIGIL_DATA_DIR: t.dataDir,
    VIGIL_INFLUX_URL: influxd.url,
    VIGIL_INFLUX_USERNAME: admin().username,
    VIGIL_INFLUX_PASSWORD: admin().password,
  }
  const saved = { env: { ...process.env }, log: console.log, error: console.error }
  const out: string[] = []
  Object.assign(process.env, env)
  console.log = (...parts: unknown[]) => out.push(parts.join(' '))
  console.error = console.log
  try {
    const code = await runCli(argv, t.vigil.registry)
    return { code, out: out.join('\n') }
  } finally {
    process.env = saved.env
    console.log = saved.log
    console.error = saved.error
  }
}

test('the CLI provisions a reseller it creates and writes his Grafana provisioning', async () => {
  const created = await cli('reseller', 'create', 'Hotel')
  assert.is(created.code, 0, created.out)
  const password = /influx password (\S+)/.exec(created.out)?.[1]
  const id = t.vigil.registry.resellerByName('Hotel')!.id
  assert.is(await countEvents({ username: resellerDb(id), password: password! }, resellerDb(id)), 0)

  const dir = mkdtempSync(join(tmpdir(), 'vigil-grafana-'))
  try {
    const written = await cli('grafana', 'reseller', 'Hotel', dir, '4')
    assert.is(written.code, 0, written.out)
    const datasource = join(dir, 'datasources', `vigil-${id}.yaml`)
    assert.is(statSync(datasource).mode & 0o777, 0o600)
    const yaml = readFileSync(datasource, 'utf8')
    const fresh = /password: "([^"]+)"/.exec(yaml)![1]!
    assert.is(
      await countEvents({ username: resellerDb(id), password: fresh }, resellerDb(id)),
      0,
      'the provisioned password works',
    )
    assert.match(yaml, /orgId: 4/)
    assert.ok(existsSync(join(dir, 'dashboards', `vigil-${id}`, 'reseller-overview.json')))
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('the CLI lists and requeues dead letters, and refuses what it cannot do', async () => {
  assert.match((await cli('influx', 'dead-letters')).out, /no dead letters/)
  assert.match((await cli('influx', 'requeue')).out, /0 record\(s\) back/)
  const unknown = await cli('grafana', 'reseller', 'Nobody', tmpdir())
  assert.equal([unknown.code, /not-found/.test(unknown.out)], [1, true])
  const analyst = await cli('influx', 'analyst', 'bad name"')
  assert.equal([analyst.code, /invalid-influxql-value/.test(analyst.out)], [1, true])
})

test.run()
