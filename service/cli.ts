/**
 * The operator's command line, working on the data dir of a Vigil (running or
 * not: SQLite in WAL mode lets both write). Usage: `npm run cli -- help`.
 */
import { parseArgs } from 'node:util'
import { optionsFromEnv, resolveOptions } from '../core/config.ts'
import { openDb } from '../store/db.ts'
import { StoreError } from '../store/errors.ts'
import { influxCommands, influxUsage } from '../store/influx/cli-commands.ts'
import { Registry } from '../store/registry.ts'

const usage = `vigil operator CLI (data dir: VIGIL_DATA_DIR, default ./data)

  reseller create <name>           create a reseller; prints its API token once
  reseller list                    list resellers
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
    console.log(JSON.stringify({ ...installation, acceptances: registry.acceptanceLog(installation.slc) },
      null, 2))
  },
}

// InfluxDB history and Grafana provisioning (docs/readme-influx.md).
Object.assign(commands, influxCommands(commands['reseller create']!))

export async function runCli(argv: string[], registry: Registry): Promise<number> {
  const { positionals } = parseArgs({ args: argv, allowPositionals: true, strict: true })
  const name = positionals.slice(0, 2).join(' ')
  const command = commands[name]
  if (!command) {
    console.log(usage + influxUsage)
    return positionals[0] === 'help' || positionals.length === 0 ? 0 : 2
  }
  try {
    await command(registry, positionals.slice(2))
    return 0
  } catch (error) {
    if (error instanceof StoreError) {
      console.error(`error (${error.code}): ${error.message}`)
      return 1
    }
    throw error
  }
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
  const db = openDb(options.dataDir)
  const code = await runCli(process.argv.slice(2), new Registry(db))
  db.close()
  process.exit(code)
}
