import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { unsafeTextMessage } from '../../core/text.ts'
import { openDb, type Db } from '../../store/db.ts'
import { StoreError } from '../../store/errors.ts'
import { Registry } from '../../store/registry.ts'

const test = suite('store: registry')

let dir: string
let db: Db
let registry: Registry
let n = 0

test.before(() => {
  dir = mkdtempSync(join(tmpdir(), 'vigil-registry-'))
  db = openDb(dir)
  registry = new Registry(db)
})
test.after(() => {
  db.close()
  rmSync(dir, { recursive: true, force: true })
})

/** NUL, ESC, NEL (C1), LRE and PDI (bidi), zero-width joiner, BOM. */
const unsafe = ['\u0000', '\u001b', '\u0085', '\u202a', '\u2069', '\u200d', '\ufeff']

function refusedAs(code: string, act: () => unknown): StoreError {
  let thrown: unknown
  try {
    act()
  } catch (error) {
    thrown = error
  }
  assert.instance(thrown, StoreError, `refused as ${code}`)
  assert.is((thrown as StoreError).code, code)
  return thrown as StoreError
}

function installation() {
  const { reseller } = registry.createReseller(`Reseller ${++n}`)
  const slc = `SLC-REG-${n}`
  const { enrollmentCode } = registry.registerInstallation(reseller.id, slc, 'Customer')
  return { reseller, slc, enrollmentCode }
}

function enroll(site: { slc: string; enrollmentCode: string }, serverName = 'Recorder') {
  return registry.enroll({
    slc: site.slc,
    enrollmentCode: site.enrollmentCode,
    serverName,
    acceptedBy: 'site admin',
    heartbeatIntervalMs: 60_000,
  })
}

test('refuses control, bidi and zero-width characters in every name', () => {
  const site = installation()
  for (const c of unsafe) {
    // At the start or the end too, where trimming would otherwise hide a BOM.
    for (const name of [`Evil${c}Corp`, `${c}Evil Corp`, `Evil Corp${c}`]) {
      const cases: Array<[string, () => unknown]> = [
        ['reseller name', () => registry.createReseller(name)],
        ['customer name', () => registry.registerInstallation(site.reseller.id, `X-${++n}`, name)],
        ['server name', () => enroll(site, name)],
        ['who accepted', () => registry.setAcceptance(site.slc, true, name)],
      ]
      for (const [what, act] of cases) {
        const error = refusedAs('invalid-input', act)
        assert.is(error.message, `${what}: ${unsafeTextMessage}`, JSON.stringify(name))
      }
    }
  }
  assert.equal(registry.acceptanceLog(site.slc), [], 'nothing was recorded')
})

test('takes names in any script, with spaces and punctuation', () => {
  const { reseller } = registry.createReseller('Sicherheit & Söhne – Nord (東京)')
  assert.is(reseller.name, 'Sicherheit & Söhne – Nord (東京)')
})

test('numbers a rotated key after the highest key id, even after a retirement', () => {
  const server = enroll(installation())
  assert.is(registry.rotateKey(server.serverId).keyId, 'k2')
  assert.is(registry.rotateKey(server.serverId).keyId, 'k3')
  assert.equal(registry.retireKey(server.serverId, 'k1'), { keyIds: ['k2', 'k3'] })
  assert.is(registry.rotateKey(server.serverId).keyId, 'k4')
  assert.is(registry.serverKey(server.serverId, 'k1'), undefined, 'the retired key is gone')
})

test("keeps a server's last key and knows only its own key ids", () => {
  const one = enroll(installation())
  const other = enroll(installation())
  registry.rotateKey(other.serverId)
  refusedAs('last-key', () => registry.retireKey(one.serverId, 'k1'))
  refusedAs('not-found', () => registry.retireKey(one.serverId, 'k2'))
  assert.ok(registry.serverKey(one.serverId, 'k1'))
})

test('finds an installation by its SLC in any case, and answers the registered spelling', () => {
  const site = installation()
  const lower = site.slc.toLowerCase()
  assert.is(registry.installation(lower)?.slc, site.slc)
  assert.is(enroll({ ...site, slc: lower }).slc, site.slc)
  assert.is(registry.server(enroll({ ...site, slc: lower }).serverId)?.slc, site.slc)
  refusedAs('slc-taken', () => registry.registerInstallation(site.reseller.id, lower, 'Twin'))
})

test("replaces a reseller's token: the old one names nobody from then on", () => {
  const { reseller, token } = registry.createReseller(`Reseller ${++n}`)
  const renewed = registry.renewResellerToken(` ${reseller.name} `)
  assert.is(renewed.reseller.id, reseller.id)
  assert.is(registry.resellerByToken(token), undefined)
  assert.is(registry.resellerByToken(renewed.token)?.id, reseller.id)
  refusedAs('not-found', () => registry.renewResellerToken('Nobody at all'))
})

test('prepares the statements run for every MQTT message once, not per message', () => {
  const server = enroll(installation())
  const prepare = db.prepare
  let prepared = 0
  db.prepare = function countPrepare(this: Db, ...args: Parameters<Db['prepare']>) {
    prepared++
    return prepare.apply(this, args)
  } as Db['prepare']
  try {
    for (let i = 0; i < 10; i++) {
      assert.ok(registry.authenticateServer(server.serverId, server.password))
      assert.ok(registry.server(server.serverId))
      assert.ok(registry.serverKey(server.serverId, server.keyId))
    }
  } finally {
    db.prepare = prepare
  }
  assert.is(prepared, 0)
})

test.run()
