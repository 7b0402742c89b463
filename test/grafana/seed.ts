/**
 * A known history for the dashboard tests, written by Vigil's own code path
 * (StateStore outbox, uptime ticker on virtual time, drain) into a real
 * influxd. Two hours, 08:00 to 10:00, two resellers:
 *
 *   Alpha  SLC-A1 "Alpha Storage": Recorder 1 (drive D: full from 08:10, still
 *                  open; Cam 3 unreachable 08:20-08:50), Recorder 2 (down
 *                  08:30-09:00)
 *          SLC-A2 "Beta Shop":     Till (license shortage 08:40-09:40)
 *   Bravo  SLC-B1 "Bravo Depot":   Gate (drive C: full 08:05-08:15; down from 09:30, still)
 */
import { ManualScheduler } from '../../core/clock.ts'
import type { VigilEvent } from '../../core/events.ts'
import { UptimeTicker } from '../../store/influx/uptime.ts'
import { eventsOf, type HistoryFixture } from '../store/influx-fixture.ts'

export const T0 = Date.parse('2026-01-05T08:00:00Z')
export const END = T0 + 120 * 60_000
const m = (minutes: number) => T0 + minutes * 60_000

export function seedSites(f: HistoryFixture) {
  const a1 = f.site('Alpha', 'SLC-A1', ['Recorder 1', 'Recorder 2'], 'Alpha Storage')
  const a2 = f.site('Alpha', 'SLC-A2', ['Till'], 'Beta Shop')
  const b1 = f.site('Bravo', 'SLC-B1', ['Gate'], 'Bravo Depot')
  const servers = {
    r1: a1.serverIds[0]!,
    r2: a1.serverIds[1]!,
    till: a2.serverIds[0]!,
    gate: b1.serverIds[0]!,
  }
  return { alpha: a1.resellerId, bravo: b1.resellerId, servers }
}

export async function seedHistory(f: HistoryFixture) {
  const sites = seedSites(f)
  const { r1, r2, till, gate } = sites.servers
  const e1 = eventsOf('SLC-A1', r1)
  const e2 = eventsOf('SLC-A1', r2)
  const e3 = eventsOf('SLC-A2', till)
  const e4 = eventsOf('SLC-B1', gate)

  const timeline: VigilEvent[] = [
    e1.heartbeat(m(-1)),
    e2.heartbeat(m(-1)),
    e3.heartbeat(m(-1)),
    e4.heartbeat(m(-1)),
    e4.raised(m(5), 'drive-full', 'C:', { usedPercent: 99 }),
    e1.raised(m(10), 'drive-full', 'D:', { usedPercent: 97 }),
    e1.status(m(10), 1, {
      drives: [
        { name: 'D:', usedPercent: 97 },
        { name: 'E:', usedPercent: 40 },
      ],
      cameras: { online: 10, total: 12 },
      licenses: { used: 12, available: 10 },
    }),
    e4.cleared(m(15), 'drive-full', 'C:', m(5)),
    e1.raised(m(20), 'camera-unreachable', 'Cam 3'),
    e2.unavailable(m(33), m(30)),
    e3.raised(m(40), 'license-shortage', '', { used: 12, available: 10 }),
    e1.cleared(m(50), 'camera-unreachable', 'Cam 3', m(20)),
    e2.available(m(60), m(30)),
    e4.unavailable(m(93), m(90)),
    e3.cleared(m(100), 'license-shortage', '', m(40)),
  ]

  // Events and uptime minutes reach the outbox in the order the service would write them.
  const scheduler = new ManualScheduler(m(-1))
  const ticker = new UptimeTicker(scheduler, (record) => f.outbox.append(record))
  const ticking = ticker.start()
  for (const event of timeline) {
    scheduler.advanceTo(event.at)
    f.apply([event])
    ticker.observe(event)
  }
  scheduler.advanceTo(END)
  ticking.unsubscribe()
  await f.drainAll()
  return sites
}
