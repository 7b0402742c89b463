/**
 * What the InfluxDB side needs from the registry: who owns a server (to pick
 * the reseller's database and tag the points) and which servers an
 * installation has (to compute availability). Read-only SQL on the registry.
 */
import type { Db } from '../db.ts'
import type { ServerInfo, ServerLookup } from './points.ts'

export interface InstallationServer {
  serverId: string
  name: string
  enrolledAt: number
}

export class ServerDirectory {
  readonly #statements

  constructor(db: Db) {
    this.#statements = {
      // By SLC, not by server: a removed server's last records still belong to the reseller.
      server: db.prepare(
        `SELECT i.reseller_id AS resellerId, i.slc, i.customer_name AS customer,
           COALESCE((SELECT s.name FROM servers s WHERE s.id = ?), '') AS name
         FROM installations i WHERE i.slc = ?`,
      ),
      servers: db.prepare(
        `SELECT s.id AS serverId, s.name, s.enrolled_at AS enrolledAt
         FROM servers s JOIN installations i ON i.slc = s.slc
         WHERE i.reseller_id = ? AND s.slc = ? ORDER BY s.name, s.id`,
      ),
    }
  }

  server(slc: string, serverId: string): ServerInfo | undefined {
    return this.#statements.server.get(serverId, slc) as ServerInfo | undefined
  }

  /** A lookup that asks SQLite once per server, for the span of one batch. */
  batchLookup(): ServerLookup {
    const seen = new Map<string, ServerInfo | undefined>()
    return (slc, serverId) => {
      const key = `${slc}/${serverId}`
      if (!seen.has(key)) seen.set(key, this.server(slc, serverId))
      return seen.get(key)
    }
  }

  serversOf(resellerId: string, slc: string): InstallationServer[] {
    return this.#statements.servers.all(resellerId, slc) as InstallationServer[]
  }
}
