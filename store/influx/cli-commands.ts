/**
 * Operator CLI commands for the InfluxDB history and Grafana, merged into
 * service/cli.ts. They read the same VIGIL_* environment as the service.
 */
import { resolve } from 'node:path'
import { writeBundle } from '../../grafana/generate.ts'
import { fleetBundle, fleetDatasource, resellerBundle } from '../../grafana/provisioning.ts'
import { optionsFromEnv, resolveOptions, type VigilOptions } from '../../core/config.ts'
import { createJsonLogger } from '../../core/logger.ts'
import { openDb } from '../db.ts'
import { StoreError } from '../errors.ts'
import type { Registry, Reseller } from '../registry.ts'
import { InfluxError } from './http.ts'
import { InfluxqlError } from './influxql.ts'
import { Outbox } from './outbox.ts'
import {
  InfluxNames,
  InfluxProvisioner,
  ProvisioningError,
  type HistoryCredentials,
} from './provision.ts'
import { influxHttpFor } from './setup.ts'

export type CliCommand = (registry: Registry, args: string[]) => void | Promise<void>

export const influxUsage = `
  influx provision                 create the fleet database and every reseller's
                                   database and read-only user that is missing
  influx analyst <user>            a read-only user of the fleet database; password printed once
  influx dead-letters              lines InfluxDB refused, newest first
  influx requeue                   put dead letters back in the outbox (after fixing the cause)
  grafana reseller <name> <dir> [org id] [password]
                                   Grafana provisioning for one reseller, with a new
                                   password for his read-only user (or the given one
                                   when VIGIL_INFLUX_PROVISIONING=external)
  grafana fleet <dir>              the operators' provisioning for VIGIL_INFLUX_DATABASE
`

/** The InfluxDB commands; `reseller create` also provisions the new reseller's database. */
export function influxCommands(createReseller: CliCommand): Record<string, CliCommand> {
  return { 'reseller create': provisioningAfter(createReseller), ...commands }
}

function provisioningAfter(createReseller: CliCommand): CliCommand {
  return async function createResellerWithHistory(registry, args) {
    await createReseller(registry, args)
    const options = env()
    const reseller = args[0] ? registry.resellerByName(args[0].trim()) : undefined
    if (!options.influxUrl || !reseller) return
    try {
      printCredentials(await issue(options, reseller.id))
    } catch (error) {
      // The reseller exists either way; his database follows with `influx provision`.
      console.error(`${(error as Error).message}\nrun "influx provision" once InfluxDB answers`)
    }
  }
}

const commands: Record<string, CliCommand> = {
  'influx provision': async (registry) => {
    const ids = registry.listResellers().map((r) => r.id)
    await guarded(() => provisioner(influxOptions()).reconcile(ids))
    console.log(`fleet database and ${ids.length} reseller database(s) in place`)
  },
  'influx analyst': async (_registry, [user]) => {
    const username = required(user, 'user')
    printCredentials(await guarded(() => provisioner(influxOptions()).issueFleetReader(username)))
  },
  'influx dead-letters': () =>
    withOutbox((outbox) => {
      const letters = outbox.deadLetters(20)
      if (letters.length === 0) console.log('no dead letters')
      for (const d of letters) {
        const at = new Date(d.at).toISOString()
        console.log(`${at}\toutbox #${d.outboxId}\t${d.database}\t${d.error}`)
        if (d.line) console.log(`\t${d.line}`)
      }
    }),
  'influx requeue': () =>
    withOutbox((outbox) => {
      const count = outbox.requeueDeadLetters()
      console.log(`${count} record(s) back in the outbox; a running Vigil writes them`)
    }),
  'grafana reseller': async (registry, [name, dir, org, password]) => {
    const reseller = findReseller(registry, required(name, 'name'))
    const target = resolve(required(dir, 'dir'))
    const orgId = org === undefined ? 1 : Number(org)
    if (!Number.isInteger(orgId) || orgId < 1) {
      throw new StoreError('invalid-input', 'org id: a number from 1')
    }
    const credentials = await resellerCredentials(influxOptions(), reseller, password)
    printWritten(writeBundle(target, resellerBundle(reseller, credentials, orgId)))
    console.log('The datasource file holds the password; it is readable by its owner only.')
  },
  'grafana fleet': (_registry, [dir]) => {
    const bundle = fleetBundle(fleetDatasource(env().influxDatabase))
    printWritten(writeBundle(resolve(required(dir, 'dir')), bundle))
  },
}

function env(): VigilOptions {
  return resolveOptions(optionsFromEnv())
}

function influxOptions(): VigilOptions {
  const options = env()
  if (!options.influxUrl) throw new StoreError('invalid-input', 'VIGIL_INFLUX_URL is not set')
  return options
}

function provisioner(options: VigilOptions): InfluxProvisioner {
  const logger = createJsonLogger({ level: 'warn', write: (line) => console.error(line) })
  return new InfluxProvisioner(
    influxHttpFor(options),
    new InfluxNames(options.influxDatabase),
    options.influxProvisioning,
    logger,
  )
}

async function issue(options: VigilOptions, resellerId: string) {
  return guarded(() => provisioner(options).issueCredentials(resellerId))
}

/** New credentials, or with external provisioning the ones the operator made. */
async function resellerCredentials(options: VigilOptions, reseller: Reseller, password?: string) {
  if (options.influxProvisioning === 'influxql') return issue(options, reseller.id)
  const database = new InfluxNames(options.influxDatabase).reseller(reseller.id)
  return {
    url: options.influxUrl!,
    database,
    username: database,
    password: required(password, 'password of the read-only user you created'),
  }
}

function findReseller(registry: Registry, name: string): Reseller {
  const reseller = registry.resellerByName(name.trim())
  if (!reseller) throw new StoreError('not-found', `no reseller named "${name}"`)
  return reseller
}

function printWritten(paths: string[]) {
  for (const path of paths) console.log(`wrote ${path}`)
}

function printCredentials(c: HistoryCredentials) {
  console.log(`influx ${c.url} database ${c.database} user ${c.username}`)
  console.log(`influx password ${c.password}`)
  console.log('The password is shown only now; InfluxDB keeps only its hash.')
}

/** InfluxDB failures as the CLI's errors: a code and what to do, no stack trace. */
async function guarded<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    const known =
      error instanceof InfluxError ||
      error instanceof ProvisioningError ||
      error instanceof InfluxqlError
    if (known) {
      throw new StoreError('invalid-input', `InfluxDB (${error.code}): ${error.message}`)
    }
    throw error
  }
}

function withOutbox(action: (outbox: Outbox) => void) {
  const db = openDb(env().dataDir)
  try {
    action(new Outbox(db))
  } finally {
    db.close()
  }
}

function required(value: string | undefined, what: string): string {
  if (!value) throw new StoreError('invalid-input', `missing <${what}>; see "help"`)
  return value
}
