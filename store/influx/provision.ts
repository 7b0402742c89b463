/**
 * Isolation by credentials in the database (DESIGN.md): every reseller gets
 * his own InfluxDB database and a user that may only read it; a dashboard
 * query cannot reach another reseller's data whatever its text. The fleet
 * database holds everything, for operators and analysts.
 *
 * With `influxql` provisioning Vigil creates these itself (1.x statements,
 * Vigil's user must be an admin). With `external` the operator creates them
 * (2.x buckets, DBRP mappings and v1 authorizations; 3.x databases and
 * tokens), and Vigil only reports what is missing.
 */
import { newSecret } from '../../core/secrets.ts'
import type { Logger } from '../../core/logger.ts'
import type { InfluxHttp } from './http.ts'
import { checkName, ident, literal, type Statement } from './influxql.ts'

export interface HistoryCredentials {
  /** Where Grafana or an analyst reaches InfluxDB. */
  url: string
  database: string
  username: string
  password: string
}

export type ProvisioningMode = 'influxql' | 'external'

/** Naming of databases and users; both are derived, never typed by a user. */
export class InfluxNames {
  constructor(readonly fleet: string) {
    checkName(fleet, 'database')
  }

  reseller(resellerId: string): string {
    return `${this.fleet}_${checkName(resellerId, 'reseller id')}`
  }

  /** Reverse of `reseller()`: the reseller a database belongs to, if any. */
  resellerOf(database: string): string | undefined {
    const prefix = `${this.fleet}_`
    return database.startsWith(prefix) ? database.slice(prefix.length) : undefined
  }
}

export class ProvisioningError extends Error {
  override readonly name = 'ProvisioningError'
  readonly code = 'provisioning-external'
}

export class InfluxProvisioner {
  readonly #http: InfluxHttp
  readonly #names: InfluxNames
  readonly #mode: ProvisioningMode
  readonly #logger: Logger

  constructor(http: InfluxHttp, names: InfluxNames, mode: ProvisioningMode, logger: Logger) {
    this.#http = http
    this.#names = names
    this.#mode = mode
    this.#logger = logger
  }

  get mode(): ProvisioningMode {
    return this.#mode
  }

  /** The fleet database and every reseller's database and reader; safe to repeat. */
  async reconcile(resellerIds: string[]): Promise<void> {
    await this.ensureDatabase(this.#names.fleet)
    const users = await this.#users()
    for (const id of resellerIds) await this.#ensureReseller(id, users)
  }

  /** Creates a database the drain found missing: the fleet's or a reseller's. */
  async ensureDatabase(database: string): Promise<void> {
    this.#requireInfluxql(database)
    const resellerId = this.#names.resellerOf(database)
    if (resellerId) await this.#ensureReseller(resellerId, await this.#users())
    else await this.#run(`CREATE DATABASE ${ident(checkName(database, 'database'))}`)
  }

  /** Database and reader for a reseller, with a new password returned once. */
  async issueCredentials(resellerId: string): Promise<HistoryCredentials> {
    const database = this.#names.reseller(resellerId)
    this.#requireInfluxql(database)
    await this.#ensureReseller(resellerId, await this.#users())
    const password = newSecret('vgi')
    await this.#run(`SET PASSWORD FOR ${ident(database)} = ${literal(password)}`)
    this.#logger.info('influxCredentialsIssued', { resellerId, database, username: database })
    return { url: this.#http.url, database, username: database, password }
  }

  /** A read-only user of the fleet database for an analyst or the operators' Grafana. */
  async issueFleetReader(username: string): Promise<HistoryCredentials> {
    const database = this.#names.fleet
    this.#requireInfluxql(database)
    checkName(username, 'user')
    await this.ensureDatabase(database)
    const password = newSecret('vgi')
    const exists = (await this.#users()).has(username)
    const verb = exists
      ? `SET PASSWORD FOR ${ident(username)} =`
      : `CREATE USER ${ident(username)} WITH PASSWORD`
    await this.#run(`${verb} ${literal(password)}`)
    await this.#run(`GRANT READ ON ${ident(database)} TO ${ident(username)}`)
    this.#logger.info('influxFleetReaderIssued', { database, username })
    return { url: this.#http.url, database, username, password }
  }

  async #ensureReseller(resellerId: string, users: Set<string>) {
    const database = this.#names.reseller(resellerId)
    await this.#run(`CREATE DATABASE ${ident(database)}`)
    if (!users.has(database)) {
      // Nobody knows this password: issueCredentials sets the one handed out.
      await this.#run(`CREATE USER ${ident(database)} WITH PASSWORD ${literal(newSecret('vgi'))}`)
      users.add(database)
      this.#logger.info('influxResellerProvisioned', { resellerId, database })
    }
    await this.#run(`GRANT READ ON ${ident(database)} TO ${ident(database)}`)
  }

  async #users(): Promise<Set<string>> {
    const result = await this.#http.query({ text: 'SHOW USERS', params: {} })
    const values = result.series?.[0]?.values ?? []
    return new Set(values.map((row) => String(row[0])))
  }

  #run(text: string): Promise<unknown> {
    const statement: Statement = { text, params: {} }
    return this.#http.query(statement)
  }

  #requireInfluxql(database: string) {
    if (this.#mode === 'influxql') return
    throw new ProvisioningError(
      `database "${database}" and its read-only access are managed ` +
        'outside Vigil (VIGIL_INFLUX_PROVISIONING=external); create them as ' +
        'the README (History in InfluxDB) shows',
    )
  }
}
