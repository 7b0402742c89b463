/**
 * The operator's command line, working on the data dir of a Vigil (running or
 * not: SQLite in WAL mode lets both write). Usage: `npm run cli -- help`.
 */
import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { optionsFromEnv, resolveOptions } from '../core/config.ts'
import { openDb } from '../store/db.ts'
import { StoreError } from '../store/errors.ts'
import { influxCommands, influxUsage } from '../store/influx/cli-commands.ts'
import { Registry } from '../store/registry.ts'

const usage = `vigil operator CLI (data dir: VIGIL_DATA_DIR, default ./data)

  reseller create <name>           create a reseller; prints its API token once
  reseller list                    list resellers
  reseller new-token <name>        replace a reseller's API token (the old one stops
                                   working at once); prints the new one once
  operator-token create [label]    create an operator API token; printed once
  subscription set <slc> <date>    set the support subscription expiry (YYYY-MM-DD,
                                   ISO 8601 time, or "none" to end it)
  installation show <slc>          owner, subscription and acceptance of an SLC
`

type Command = (registry: Registry, args: string[]) => void | Promise<void>

const commands: Record<string, Command> = {
  'reseller create': (registry, [name]) => {
    const { reseller, token } = registry.createReseller(required(name, 'name'))
    console.log(`reseller ${reseller.id} "${reseller.name}" created`)
    console.log(`token ${token}`)
    console.log('The token is shown only now; Vigil keeps only its hash.')
  },
  'reseller new-token': (registry, [name]) => {
    const { reseller, token } = registry.renewResellerToken(required(name, 'name'))
    console.log(`reseller ${reseller.id} "${reseller.name}": new token; the old one is void`)
    console.log(`token ${token}`)
    console.log('The token is shown only now; Vigil keeps only its hash.')
  },
  'reseller list': (registry) => {
    for (const r of registry.listResellers()) {
      console.log(`${r.id}\t${r.name}\t${new Date(r.createdAt).toISOString()}`)
    }
  },
  'operator-token create': (registry, [label]) => {
    console.log(`token ${registry.createOperatorToken(label ?? 'operator')}`)
    console.log('The token is shown only now; Vigil keeps only its hash.')
  },
  'subscription set': (registry, [slc, date]) => {
    const expiresAt = parseExpiry(required(date, 'date'))
    const installation = registry.setSubscription(required(slc, 'slc'), expiresAt)
    const shown = expiresAt === null ? 'none' : new Date(expiresAt).toISOString()
    console.log(`subscription of ${installation.slc} expires ${shown}`)
  },
  'installation show': (registry, [slc]) => {
    const installation = registry.installation(required(slc, 'slc'))
    if (!installation) throw new StoreError('not-found', `no installation ${slc}`)
    const acceptances = registry
      .acceptanceLog(installation.slc)
      .map((a) => ({ accepted: a.accepted === 1, byWhom: a.byWhom, at: isoTime(a.at) }))
    console.log(
      JSON.stringify(
        {
          ...installation,
          subscriptionExpiresAt:
            installation.subscriptionExpiresAt === null
              ? null
              : isoTime(installation.subscriptionExpiresAt),
          createdAt: isoTime(installation.createdAt),
          acceptances,
        },
        null,
        2,
      ),
    )
  },
}

// InfluxDB history and Grafana provisioning (README: History in InfluxDB, and Grafana).
Object.assign(commands, influxCommands(commands['reseller create']!))

/** An open registry (tests, the influx suite), or the data dir whose database to open. */
export type CliTarget = Registry | { dataDir: string }

export async function runCli(argv: string[], target: CliTarget): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true })
  const name = positionals.slice(0, 2).join(' ')
  const command = commands[name]
  if (!command) {
    console.log(usage + influxUsage)
    return positionals[0] === 'help' || positionals.length === 0 ? 0 : 2
  }

  const { registry, close } =
    target instanceof Registry
      ? { registry: target, close: () => undefined }
      : openRegistry(target.dataDir)
  try {
    await command(registry, positionals.slice(2))
    return 0
  } catch (error) {
    if (error instanceof StoreError) {
      console.error(`error (${error.code}): ${error.message}`)
      return 1
    }
    throw error
  } finally {
    close()
  }
}

/**
 * Says on stderr which data dir the commands change, and warns before making
 * a database: a mistyped VIGIL_DATA_DIR would otherwise create resellers and
 * tokens in a database no Vigil reads, with nothing to show for it.
 */
function openRegistry(dataDir: string) {
  const file = resolve(join(dataDir, 'vigil.sqlite'))
  console.error(`data dir ${resolve(dataDir)}`)
  if (!existsSync(file)) {
    console.error(`warning: creating a new database at ${file}; is VIGIL_DATA_DIR the service's?`)
  }
  const db = openDb(dataDir)
  return { registry: new Registry(db), close: () => db.close() }
}

function isoTime(ms: number): string {
  return new Date(ms).toISOString()
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new StoreError('invalid-input', `missing <${what}>; see "help"`)
  return value
}

function parseExpiry(value: string): number | null {
  if (value === 'none') return null
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T23:59:59.999Z` : value
  const ms = Date.parse(date)
  if (Number.isNaN(ms)) throw new StoreError('invalid-input', `"${value}" is not a date`)
  return ms
}

const isMain = import.meta.url === `file://${process.argv[1]}`
if (isMain) {
  const options = resolveOptions(optionsFromEnv())
  process.exit(await runCli(process.argv.slice(2), { dataDir: options.dataDir }))
}
