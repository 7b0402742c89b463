import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { committedRoot, staleFiles } from '../../grafana/generate.ts'
import { fleetBundle, resellerBundle, type BundleFile } from '../../grafana/provisioning.ts'
import type { HistoryCredentials } from '../../store/influx/provision.ts'
import { startInfluxd, type TestInfluxd } from '../helpers/influxd.ts'
import { historyFixture, type HistoryFixture } from '../store/influx-fixture.ts'
import { expectations, type Rows } from './expectations.ts'
import { END, T0, seedHistory } from './seed.ts'

const test = suite('Grafana provisioning')
let influxd: TestInfluxd
let f: HistoryFixture
let sites: Awaited<ReturnType<typeof seedHistory>>
let fleetReader: HistoryCredentials
let alphaReader: HistoryCredentials

interface Target {
  refId: string
  query: string
  datasource?: { type?: string; uid?: string }
}

interface Panel {
  title: string
  datasource?: { uid?: string }
  targets?: Target[]
}

interface DashboardJson {
  title: string
  uid: string
  panels: Panel[]
  templating: { list: Array<{ name: string; query: string; datasource: { uid: string } }> }
}

type Login = { username: string; password: string }

test.before(async () => {
  influxd = await startInfluxd({ auth: true })
  f = historyFixture(influxd, { now: END })
  sites = await seedHistory(f)
  fleetReader = await f.provisioner.issueFleetReader('grafana')
  alphaReader = await f.provisioner.issueCredentials(sites.alpha)
})

test.after(async () => {
  await f.close()
  await influxd.stop()
})

function committedFiles(dir = committedRoot): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? committedFiles(join(dir, entry.name))
      : [relative(committedRoot, join(dir, entry.name))],
  )
}

const dashboardsOf = (files: BundleFile[]) =>
  files
    .filter((file) => file.path.endsWith('.json'))
    .map((file) => JSON.parse(file.content) as DashboardJson)

const datasourceUidOf = (files: BundleFile[]) =>
  /uid: "([^"]+)"/.exec(files.find((file) => file.path.startsWith('datasources/'))!.content)![1]

/** InfluxQL as Grafana sends it: macros and variables filled in, regex-escaped. */
function expand(query: string, variables: Record<string, string>, intervalText: string) {
  return query
    .replace(/\$timeFilter\b/g, `time >= ${T0}ms and time <= ${END}ms`)
    .replace(/\$__interval\b/g, intervalText)
    .replace(/\$(\w+)/g, (whole, name: string) => {
      const value = variables[name]
      if (value === undefined) throw new Error(`no value for ${whole} in ${query}`)
      return value === '.*' ? value : value.replace(/[.\\^$*+?()[\]{}|/]/g, '\\$&')
    })
}

async function run(credentials: Login, db: string, q: string): Promise<Rows> {
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
  const res = await fetch(`${influxd.url}/query`, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
    body: new URLSearchParams({ q, db, epoch: 'ms' }),
  })
  const json = (await res.json()) as {
    error?: string
    results: Array<{
      error?: string
      series?: Array<{ tags?: Record<string, string>; columns: string[]; values: unknown[][] }>
    }>
  }
  const error = json.error ?? json.results[0]?.error
  if (error) throw new Error(`${error}\n  in ${q}`)
  return (json.results[0]!.series ?? []).flatMap((s) =>
    s.values.map((v) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, v[i]])) })),
  )
}

test('the committed provisioning is exactly what the generator writes', () => {
  const files = fleetBundle()
  assert.equal(staleFiles(committedRoot, files), [], 'run `npm run grafana` and commit the result')
  const generated = files.map((file) => file.path).sort()
  assert.equal(committedFiles().sort(), generated, 'no stray committed files')
})

test("leaves no placeholder unresolved and points every query at the bundle's datasource", () => {
  const reseller = resellerBundle({ id: 'r-0123456789ab', name: 'Alpha' }, alphaReader)
  for (const files of [fleetBundle(), reseller]) {
    const uid = datasourceUidOf(files)
    for (const file of dashboardsOf(files)) {
      const text = JSON.stringify(file)
      assert.not.match(text, /\$\{/, `${file.title}: no \${...}`)
      assert.not.match(text, /__inputs|DS_INFLUX/, `${file.title}: not an export with inputs`)
      for (const panel of file.panels) {
        assert.is(panel.datasource?.uid, uid, `${file.title} / ${panel.title}`)
        for (const target of panel.targets ?? []) {
          assert.equal(target.datasource, { type: 'influxdb', uid })
        }
      }
      for (const variable of file.templating?.list ?? []) assert.is(variable.datasource.uid, uid)
    }
    const uids = dashboardsOf(files).map((d) => d.uid)
    assert.is(new Set(uids).size, uids.length, 'unique uids')
  }
})

test('runs every panel query of the fleet bundle on InfluxDB: expected answers', async () => {
  let checked = 0
  const variables = { reseller: sites.alpha, slc: 'SLC-A1' }
  for (const dashboard of dashboardsOf(fleetBundle())) {
    const expected = expectations(sites)[dashboard.title]
    assert.ok(expected, `expectations for dashboard ${dashboard.title}`)
    const values = { ...variables, ...expected!.variables }
    for (const panel of dashboard.panels) {
      const checks = expected!.panels[panel.title]
      assert.ok(checks, `expectations for ${dashboard.title} / ${panel.title}`)
      assert.is(checks!.length, panel.targets!.length, `${panel.title}: one check per query`)
      for (const [index, target] of panel.targets!.entries()) {
        const q = expand(target.query, values, expected!.interval)
        const rows = await run(fleetReader, fleetReader.database, q)
        checks![index]!(rows, `${dashboard.title} / ${panel.title} / ${target.refId}`)
        checked++
      }
    }
  }
  assert.ok(checked >= 25, `${checked} queries checked`)
})

test('fills the template variables from InfluxDB', async () => {
  const overview = dashboardsOf(fleetBundle()).find((d) => d.title === 'Vigil: installation')!
  const [reseller, slc] = overview.templating.list
  const resellers = await run(fleetReader, fleetReader.database, reseller!.query)
  assert.equal(resellers.map((r) => r.value).sort(), [sites.alpha, sites.bravo].sort())
  const q = expand(slc!.query, { reseller: sites.alpha }, '1h')
  const slcs = await run(fleetReader, fleetReader.database, q)
  assert.equal(
    slcs.map((r) => r.value),
    ['SLC-A1', 'SLC-A2'],
  )
})

test("a reseller's bundle reads his data with his credentials, and only his", async () => {
  const files = resellerBundle({ id: sites.alpha, name: 'Alpha' }, alphaReader, 3)
  const datasource = files.find((file) => file.path.startsWith('datasources/'))!
  assert.ok(datasource.secret, 'the file with the password is marked secret')
  assert.match(datasource.content, new RegExp(`dbName: "${alphaReader.database}"`))
  assert.match(datasource.content, /orgId: 3/)
  assert.match(datasource.content, new RegExp(`password: "${alphaReader.password}"`))

  const overview = dashboardsOf(files).find((d) => d.title === 'Vigil: reseller overview')!
  const [variable] = overview.templating.list
  const offered = await run(alphaReader, alphaReader.database, variable!.query)
  assert.equal(
    offered.map((r) => r.value),
    [sites.alpha],
  )

  const expected = expectations(sites)['Vigil: reseller overview']!
  for (const reseller of [sites.alpha, '.*']) {
    for (const panel of overview.panels) {
      for (const [index, target] of panel.targets!.entries()) {
        const q = expand(target.query, { reseller }, expected.interval)
        const rows = await run(alphaReader, alphaReader.database, q)
        expected.panels[panel.title]![index]!(rows, `${panel.title} as Alpha`)
      }
    }
  }
  const fleetQuery = dashboardsOf(fleetBundle())[0]!.panels[0]!.targets![0]!.query
  await run(alphaReader, fleetReader.database, expand(fleetQuery, {}, '1h')).then(
    () => assert.unreachable('Alpha read the fleet database'),
    (error: Error) => assert.match(error.message, /not authorized/),
  )
})

test('the committed files are readable YAML and JSON of the shapes Grafana loads', () => {
  const text = (path: string) => readFileSync(join(committedRoot, path), 'utf8')
  assert.match(text('datasources/vigil.yaml'), /^apiVersion: 1\ndatasources:\n {2}- name: /m)
  const provider = text('dashboards/vigil.yaml')
  assert.ok(provider.includes('path: "/etc/grafana/provisioning/dashboards/vigil"'))
  for (const path of committedFiles().filter((p) => p.endsWith('.json'))) {
    const dashboard = JSON.parse(text(path)) as DashboardJson
    assert.ok(dashboard.uid && dashboard.title && dashboard.panels.length > 0, path)
  }
})

test("runs the README's InfluxQL examples for analysts", async () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')
  const examples = [...readme.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!)
  assert.ok(examples.length >= 6, `${examples.length} examples`)
  const answers: Rows[] = []
  for (const example of examples) {
    // The seeded history ends at END; "now" is moved there.
    const q = example.replace(/now\(\)/g, `'${new Date(END).toISOString()}'`)
    const rows = await run(fleetReader, fleetReader.database, q)
    assert.ok(rows.length > 0, `no answer to\n${example}`)
    answers.push(rows)
  }
  const byKind = (rows: Rows, column: string) =>
    Object.fromEntries(rows.map((r) => [r.kind, Math.round(Number(r[column]) * 1000) / 1000]))
  const mttr = answers.find((rows) => 'mttr_minutes' in rows[0]!)!
  assert.equal(byKind(mttr, 'mttr_minutes'), {
    'camera-unreachable': 30,
    'drive-full': 10,
    'license-shortage': 60,
    'server-unavailable': 30,
  })
  const isTop = (rows: Rows) => rows.length === 4 && 'hours' in rows[0]! && 'kind' in rows[0]!
  const top = answers.find(isTop)!
  assert.equal(byKind(top, 'hours'), {
    'camera-unreachable': 0.5,
    'drive-full': 0.167,
    'license-shortage': 1,
    'server-unavailable': 0.5,
  })
})

test.run()
