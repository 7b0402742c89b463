/**
 * A reseller's overview: which sites need help (in error first), their
 * availability and what is open. In a reseller's own bundle the `reseller`
 * variable offers only his id: his datasource's user reads nothing else.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { statPanel, tablePanel, timeseriesPanel, type DashboardContext } from '../panels.ts'
import { dashboardDefaults, resellerFilter, resellerVariable } from './common.ts'

export function resellerOverview(ctx: DashboardContext) {
  return dashboardDefaults(new DashboardBuilder('Vigil: reseller overview'), ctx, 'vigil-overview')
    .description("Your customers' sites: those in error first, availability, open problems.")
    .withVariable(resellerVariable(ctx))
    .withPanel(
      statPanel(ctx, {
        title: 'Sites in error',
        description: 'Sites with an unavailable server or an open condition.',
        queries: [
          {
            query: `SELECT count("problems") FROM (SELECT sum("active_change") AS "problems"
        FROM "events" WHERE ${resellerFilter} GROUP BY "slc") WHERE "problems" > 0`,
          },
        ],
      }).noValue('0'),
    )
    .withPanel(
      statPanel(ctx, {
        title: 'Availability',
        description: 'Share of server-minutes in the range during which servers were available.',
        queries: [
          {
            query: `SELECT 100 * mean("up") FROM "uptime"
        WHERE ${resellerFilter} AND $timeFilter`,
          },
        ],
        unit: 'percent',
      }).decimals(2),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Sites, in error first',
        description: 'Open problems (all history) and availability (time range) per site.',
        queries: [
          {
            query: `SELECT sum("active_change") AS "problems" FROM "events" WHERE ${resellerFilter}
          GROUP BY "slc", "customer"`,
          },
          {
            query: `SELECT 100 * mean("up") AS "availability" FROM "uptime" WHERE ${resellerFilter}
          AND $timeFilter GROUP BY "slc", "customer"`,
          },
        ],
        sortBy: 'problems',
        width: 24,
      }).transformations([
        { id: 'organize', options: { excludeByName: { Time: true } } },
        { id: 'merge', options: {} },
      ]),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Open problems',
        description: 'Unavailable servers and conditions raised but not cleared.',
        queries: [
          {
            query: `SELECT "open" FROM (SELECT sum("active_change") AS "open" FROM "events"
        WHERE ${resellerFilter} GROUP BY "slc", "customer", "server", "kind") WHERE "open" > 0
        GROUP BY "slc", "customer", "server", "kind"`,
          },
        ],
        width: 24,
      }),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Availability per site',
        description: 'Share of server-minutes available, per site.',
        queries: [
          {
            query: `SELECT 100 * mean("up") FROM "uptime"
        WHERE ${resellerFilter} AND $timeFilter GROUP BY time($__interval), "slc" fill(none)`,
            alias: '$tag_slc',
          },
        ],
        unit: 'percent',
        width: 24,
      })
        .min(0)
        .max(100),
    )
    .build()
}
