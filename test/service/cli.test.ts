import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { runCli, type CliTarget } from '../../service/cli.ts'
import { openDb } from '../../store/db.ts'
import { Registry } from '../../store/registry.ts'
import { startTestVigil } from '../helpers/vigil.ts'

const test = suite('operator CLI')

let root: string

test.before(() => {
  root = mkdtempSync(join(tmpdir(), 'vigil-cli-'))
})
test.after(() => {
  rmSync(root, { recursive: true, force: true })
})

/** Runs the CLI as `npm run cli` would; answers its exit code, stdout and stderr. */
async function cli(target: CliTarget, ...argv: string[]) {
  const saved = { log: console.log, error: console.error }
  const out: string[] = []
  const err: string[] = []
  console.log = (...parts: unknown[]) => out.push(parts.join(' '))
  console.error = (...parts: unknown[]) => err.push(parts.join(' '))
  try {
    const code = await runCli(argv, target)
    return { code, out: out.join('\n'), err: err.join('\n') }
  } finally {
    console.log = saved.log
    console.error = saved.error
  }
}

/** A data dir with a registry in it, closed again before the CLI opens it. */
function withRegistry(name: string, fill: (registry: Registry) => void): string {
  const dataDir = join(root, name)
  const db = openDb(dataDir)
  fill(new Registry(db))
  db.close()
  return dataDir
}

test('names its data dir on stderr and warns before creating a database', async () => {
  const dataDir = join(root, 'fresh')
  const first = await cli({ dataDir }, 'reseller', 'list')
  assert.is(first.code, 0)
  assert.match(first.err, `data dir ${resolve(dataDir)}`)
  assert.match(first.err, `creating a new database at ${resolve(dataDir, 'vigil.sqlite')}`)
  assert.is(first.out, '', 'stdout stays clean for scripts')

  const second = await cli({ dataDir }, 'reseller', 'list')
  assert.match(second.err, `data dir ${resolve(dataDir)}`)
  assert.not.match(second.err, 'creating a new database', 'the database exists now')
})

test('creates no database just to print its help', async () => {
  const dataDir = join(root, 'help')
  const help = await cli({ dataDir }, 'help')
  assert.is(help.code, 0)
  assert.match(help.out, 'reseller new-token <name>')
  assert.not.ok(existsSync(join(dataDir, 'vigil.sqlite')))
})

test('installation show prints times as ISO 8601 and acceptance as true or false', async () => {
  const dataDir = withRegistry('show', (registry) => {
    const { reseller } = registry.createReseller('Northwind')
    registry.registerInstallation(reseller.id, 'SLC-SHOW-1', 'Harbour Logistics')
    registry.setSubscription('SLC-SHOW-1', Date.parse('2027-12-31T23:59:59.999Z'))
    registry.setAcceptance('SLC-SHOW-1', true, 'Jane Doe')
    registry.setAcceptance('SLC-SHOW-1', false, 'Jane Doe')
  })
  const show = await cli({ dataDir }, 'installation', 'show', 'slc-show-1')
  assert.is(show.code, 0, show.err)
  const shown = JSON.parse(show.out) as Record<string, unknown> & {
    acceptances: Array<{ accepted: unknown; byWhom: string; at: unknown }>
  }
  const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
  assert.is(shown.slc, 'SLC-SHOW-1', 'the SLC as registered')
  assert.is(shown.subscriptionExpiresAt, '2027-12-31T23:59:59.999Z')
  assert.match(String(shown.createdAt), iso)
  assert.is(shown.accepted, false)
  assert.equal(
    shown.acceptances.map((a) => a.accepted),
    [true, false],
  )
  for (const a of shown.acceptances) assert.match(String(a.at), iso)
})

test('reseller new-token replaces the token: the old one stops working at once', async () => {
  const t = await startTestVigil()
  try {
    const { token: old } = t.vigil.registry.createReseller('Contoso')
    const list = (token: string) => t.api('/api/installations', { token })
    assert.is((await list(old)).status, 200)

    // Another process on the same data dir, as the operator runs it beside the service.
    const renewed = await cli({ dataDir: t.dataDir }, 'reseller', 'new-token', 'Contoso')
    assert.is(renewed.code, 0, renewed.err)
    const token = /^token (vgr_\S+)$/m.exec(renewed.out)?.[1]
    assert.ok(token, renewed.out)
    assert.is(renewed.out.split(token!).length, 2, 'printed once')

    assert.is((await list(old)).status, 401, 'the old token is dead')
    assert.is((await list(token!)).status, 200)
  } finally {
    await t.close()
  }
})

test('reseller new-token refuses an unknown reseller', async () => {
  const dataDir = withRegistry('unknown', (registry) => registry.createReseller('Fabrikam'))
  const run = await cli({ dataDir }, 'reseller', 'new-token', 'Nobody')
  assert.is(run.code, 1)
  assert.match(run.err, 'error (not-found): no reseller "Nobody"')
})

test.run()
