/**
 * One installation in detail: its servers, the outage timeline, drive fill,
 * camera and license figures, and what is open right now.
 */
import { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard'
import {
  statPanel,
  tablePanel,
  timelinePanel,
  timeseriesPanel,
  type DashboardContext,
} from '../panels.ts'
import { dashboardDefaults, resellerVariable, slcFilter, slcVariable } from './common.ts'

const inRange = `${slcFilter} AND $timeFilter`

export function installationDetail(ctx: DashboardContext) {
  return dashboardDefaults(new DashboardBuilder('Vigil: installation'), ctx, 'vigil-installation')
    .description('One site (SLC): servers, outages, drives, cameras and licenses.')
    .withVariable(resellerVariable(ctx))
    .withVariable(slcVariable(ctx, false))
    .withPanel(
      statPanel(ctx, {
        title: 'Availability',
        description:
          "Share of server-minutes in the range during which the site's servers were up.",
        queries: [{ query: `SELECT 100 * mean("up") FROM "uptime" WHERE ${inRange}` }],
        unit: 'percent',
      }).decimals(2),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Servers',
        description:
          'Up (1) or down (0) in the last minute written, and availability in the range.',
        queries: [
          {
            query: `SELECT last("up") AS "up_now", 100 * mean("up") AS "availability"
        FROM "uptime" WHERE ${inRange} GROUP BY "server_id", "server"`,
          },
        ],
        width: 18,
        height: 4,
      }),
    )
    .withPanel(
      timelinePanel(ctx, {
        title: 'Outage timeline',
        description: 'Each server, up or down; an interval with any minute down shows as down.',
        queries: [
          {
            query: `SELECT min("up") FROM "uptime" WHERE ${inRange}
        GROUP BY time($__interval), "server" fill(null)`,
            alias: '$tag_server',
          },
        ],
      }),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Outages',
        description: 'Ended outages: when they started and how many minutes they lasted.',
        queries: [
          {
            query: `SELECT "started_at", "duration_ms" / 60000 AS "minutes", "server", "cause"
        FROM "events" WHERE ${slcFilter} AND "type" = 'serverAvailable' AND $timeFilter`,
          },
        ],
      }).overrideByName('started_at', [{ id: 'unit', value: 'dateTimeAsIso' }]),
    )
    .withPanel(
      tablePanel(ctx, {
        title: 'Open problems',
        description: 'Unavailable servers and conditions raised but not cleared.',
        queries: [
          {
            query: `SELECT "open" FROM (SELECT sum("active_change") AS "open"
        FROM "events" WHERE ${slcFilter} GROUP BY "server", "kind")
        WHERE "open" > 0 GROUP BY "server", "kind"`,
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Drive fill',
        description: 'Highest fill reported per drive and interval.',
        queries: [
          {
            query: `SELECT max("used_percent") FROM "drives" WHERE ${inRange}
        GROUP BY time($__interval), "server", "drive" fill(none)`,
            alias: '$tag_server $tag_drive',
          },
        ],
        unit: 'percent',
        width: 24,
      })
        .min(0)
        .max(100),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Cameras online and installed',
        description: 'As the recording servers report them in their status.',
        queries: [
          {
            query: `SELECT last("cameras_online") AS "online",
        last("cameras_total") AS "installed" FROM "health" WHERE ${inRange}
        GROUP BY time($__interval), "server" fill(none)`,
            alias: '$tag_server $col',
          },
        ],
      }),
    )
    .withPanel(
      timeseriesPanel(ctx, {
        title: 'Camera licenses used and available',
        description: 'More used than available raises the license-shortage condition.',
        queries: [
          {
            query: `SELECT last("licenses_used") AS "used",
        last("licenses_available") AS "available" FROM "health" WHERE ${inRange}
        GROUP BY time($__interval), "server" fill(none)`,
            alias: '$tag_server $col',
          },
        ],
      }),
    )
    .build()
}
