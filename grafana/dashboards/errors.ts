/**
 * Error history: which error situations cost the most hours, how long
 * recovery takes, and every event. Hours and recovery times count ended
 * situations only; open ones show on the overview.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import { tablePanel, timeseriesPanel, type DashboardContext } from '../panels.ts'
import {
  dashboardDefaults,
  resellerFilter,
  resellerVariable,
  slcFilter,
  slcVariable,
} from './common.ts'

const scope = `${resellerFilter} AND ${slcFilter}`
const ended = `("type" = 'conditionCleared' OR "type" = 'serverAvailable')`

export function errorHistory(ctx: DashboardContext) {
  return dashboardDefaults(new DashboardBuilder('Vigil: error history'), ctx, 'vigil-errors')
    .description('Error situations over time, by kind, with hours lost and time to recovery.')
    .withVariable(resellerVariable(ctx))
    .withVariable(slcVariable(ctx, true))
    .withPanel(
      tablePanel(ctx, {
        title: 'Hours by error kind',
        description:
          'Hours from raised to cleared (unavailable to available), ' +
          'of situations that ended in the range.',
        queries: [
          {
            query: `SELECT sum("duration_ms") / 3600000 AS "hours" FROM "events"
        WHERE ${scope} AND ${ended} AND $timeFilter GROUP BY "kind"`,
          },
        ],
        sortBy: 'hours',
      }).decimals(2),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Mean time to recovery',
        description: 'Mean minutes from raised to cleared, and how many ended in the range.',
        queries: [
          {
            query: `SELECT mean("duration_ms") / 60000 AS "mttr_minutes",
        count("duration_ms") AS "ended" FROM "events"
        WHERE ${scope} AND ${ended} AND $timeFilter GROUP BY "kind"`,
          },
        ],
        sortBy: 'mttr_minutes',
      }).decimals(1),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Conditions raised',
        description: 'Error situations newly reported, per interval and kind.',
        queries: [
          {
            query: `SELECT count("event_id") FROM "events"
        WHERE ${scope} AND "type" = 'conditionRaised' AND $timeFilter
        GROUP BY time($__interval), "kind" fill(none)`,
            alias: '$tag_kind',
          },
        ],
        width: 24,
      }),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Event log',
        description:
          'Raised, cleared, unavailable and available events, newest first (at most 500).',
        queries: [
          {
            query: `SELECT "type", "kind", "slc", "server", "subject", "details", "cause"
        FROM "events" WHERE ${scope} AND $timeFilter ORDER BY time DESC LIMIT 500`,
          },
        ],
        width: 24,
        height: 12,
      }),
    )
    .build()
}
