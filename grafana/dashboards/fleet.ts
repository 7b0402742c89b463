/**
 * Fleet health, for operators: how many servers report, how many are down,
 * open problems and availability by reseller. Reads the fleet database.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { statPanel, tablePanel, timeseriesPanel, type DashboardContext } from '../panels.ts'
import { dashboardDefaults } from './common.ts'

export function fleetHealth(ctx: DashboardContext) {
  return dashboardDefaults(new DashboardBuilder('Vigil: fleet health'), ctx, 'vigil-fleet')
    .description("Every reseller's recording servers, for the operators of Vigil.")
    .withPanel(
      statPanel(ctx, {
        title: 'Servers reporting',
        description: 'Servers with at least one minute of uptime recorded in the time range.',
        queries: [
          {
            query: `SELECT count("up") FROM (SELECT last("up") AS "up" FROM "uptime"
        WHERE $timeFilter GROUP BY "server_id")`,
          },
        ],
      }),
    )
    .withPanel(
      statPanel(ctx, {
        title: 'Servers unavailable now',
        description: 'Outages that started and have not ended, over all recorded history.',
        queries: [
          {
            query: `SELECT sum("open") FROM (SELECT sum("active_change") AS "open"
        FROM "events" WHERE "kind" = 'server-unavailable' GROUP BY "server_id")`,
          },
        ],
      }).noValue('0'),
    )
    .withPanel(
      statPanel(ctx, {
        title: 'Open error situations',
        description: 'Conditions raised and not yet cleared, over all recorded history.',
        queries: [
          {
            query: `SELECT sum("open") FROM (SELECT sum("active_change") AS "open"
        FROM "events" WHERE "kind" != 'server-unavailable' GROUP BY "server_id", "kind")`,
          },
        ],
      }).noValue('0'),
    )
    .withPanel(
      statPanel(ctx, {
        title: 'Fleet availability',
        description: 'Share of server-minutes in the range during which servers were available.',
        queries: [{ query: 'SELECT 100 * mean("up") FROM "uptime" WHERE $timeFilter' }],
        unit: 'percent',
      }).decimals(2),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Availability by reseller',
        description: 'Share of server-minutes available, per reseller.',
        queries: [
          {
            query: `SELECT 100 * mean("up") FROM "uptime" WHERE $timeFilter
        GROUP BY time($__interval), "reseller_id" fill(none)`,
            alias: '$tag_reseller_id',
          },
        ],
        unit: 'percent',
      })
        .min(0)
        .max(100),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Open problems by reseller',
        description: 'Unavailable servers and open conditions, per reseller and kind.',
        queries: [
          {
            query: `SELECT "open" FROM (SELECT sum("active_change") AS "open" FROM "events"
        GROUP BY "reseller_id", "kind") WHERE "open" > 0 GROUP BY "reseller_id", "kind"`,
          },
        ],
        sortBy: 'open',
        width: 12,
      }),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Outages started',
        description: 'Servers newly marked unavailable (three heartbeats missed), per interval.',
        queries: [
          {
            query: `SELECT count("started_at") FROM "events"
        WHERE "type" = 'serverUnavailable' AND $timeFilter GROUP BY time($__interval) fill(0)`,
            alias: 'outages',
          },
        ],
        width: 12,
      }),
    )
    .build()
}
