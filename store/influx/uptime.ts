/**
 * The liveness series: one `uptime` point per server per minute, the share of
 * that minute the server was available (1 = all of it). Availability over any
 * range, per server or installation, is then a plain mean in InfluxQL, exact
 * to the minute, including outages that are still going on.
 *
 * The ticker follows the pipeline's events on the pipeline's clock. An outage
 * is dated back to the last message (DESIGN.md: unavailable after three missed
 * heartbeats), so minutes already written are written again with the right
 * value; same series and timestamp overwrite, so nothing is counted twice.
 */
import type { Subscription } from 'rxjs'
import type { Scheduler } from '../../core/clock.ts'
import type { VigilEvent } from '../../core/events.ts'
import type { ServerSnapshot } from '../state.ts'

export interface UptimeMinutes {
  type: 'uptimeMinutes'
  minutes: Array<{ at: number; serverId: string; slc: string; up: number }>
}

export interface UptimeOptions {
  minuteMs: number
  /** How far back a late outage may still rewrite minutes; older ones are final. */
  horizonMs: number
  /** Minutes per record: a big fleet's minute becomes several outbox rows. */
  recordMinutes: number
}

export const defaultUptimeOptions: UptimeOptions = {
  minuteMs: 60_000,
  horizonMs: 24 * 3600_000,
  recordMinutes: 1000,
}

interface Track {
  slc: string
  firstSeenAt: number
  downSince: number | null
  /** Ended outages still inside the horizon. */
  past: Array<[number, number]>
}

export class UptimeTicker {
  readonly #scheduler: Scheduler
  readonly #sink: (record: UptimeMinutes) => void
  readonly #options: UptimeOptions
  readonly #tracks = new Map<string, Track>()
  #tickedUntil: number

  constructor(
    scheduler: Scheduler,
    sink: (record: UptimeMinutes) => void,
    options: Partial<UptimeOptions> = {},
  ) {
    this.#scheduler = scheduler
    this.#sink = sink
    this.#options = { ...defaultUptimeOptions, ...options }
    this.#tickedUntil = this.#floor(scheduler.now())
  }

  /** Servers as they were before a restart: seen ones, and outages still open. */
  restore(snapshots: Iterable<ServerSnapshot>): void {
    for (const s of snapshots) {
      if (s.lastSeenAt === null) continue
      this.#tracks.set(s.serverId, {
        slc: s.slc,
        firstSeenAt: s.lastSeenAt,
        downSince: s.unavailableSince,
        past: [],
      })
    }
  }

  observe(event: VigilEvent): void {
    const track = this.#track(event)
    if (event.type === 'serverUnavailable') {
      track.downSince = event.lastSeenAt
      this.#rewrite(event.serverId, track, event.lastSeenAt)
    } else if (event.type === 'serverAvailable') {
      track.past.push([event.outage.startedAt, event.outage.endedAt])
      track.downSince = null
      this.#rewrite(event.serverId, track, event.outage.endedAt)
    }
  }

  /** A removed server has no more minutes; its state is released. */
  forget(serverId: string): void {
    this.#tracks.delete(serverId)
  }

  /** Writes each minute as it ends, on the scheduler's clock. */
  start(): Subscription {
    const { minuteMs } = this.#options
    const self = this
    const delay = this.#tickedUntil + minuteMs - this.#scheduler.now()
    return this.#scheduler.schedule(
      function tick() {
        self.#tick()
        this.schedule(undefined, self.#tickedUntil + minuteMs - self.#scheduler.now())
      },
      Math.max(0, delay),
    )
  }

  #tick() {
    const { minuteMs, horizonMs } = this.#options
    const until = this.#floor(this.#scheduler.now())
    const from = Math.max(this.#tickedUntil, until - horizonMs)
    const minutes: UptimeMinutes['minutes'] = []
    for (let at = from; at < until; at += minuteMs) {
      for (const [serverId, track] of this.#tracks) {
        if (track.firstSeenAt > at) continue
        minutes.push({ at, serverId, slc: track.slc, up: this.#up(track, at) })
      }
    }
    this.#tickedUntil = Math.max(this.#tickedUntil, until)

    const oldest = this.#tickedUntil - horizonMs
    for (const track of this.#tracks.values()) {
      track.past = track.past.filter(([, end]) => end > oldest)
    }
    this.#emit(minutes)
  }

  /** Minutes already written from `from` on, again, with what is known now. */
  #rewrite(serverId: string, track: Track, from: number) {
    const { minuteMs, horizonMs } = this.#options
    const first = Math.max(
      this.#floor(from),
      this.#ceil(track.firstSeenAt),
      this.#tickedUntil - horizonMs,
    )
    const minutes: UptimeMinutes['minutes'] = []
    for (let at = first; at < this.#tickedUntil; at += minuteMs) {
      minutes.push({ at, serverId, slc: track.slc, up: this.#up(track, at) })
    }
    this.#emit(minutes)
  }

  #emit(minutes: UptimeMinutes['minutes']) {
    for (let i = 0; i < minutes.length; i += this.#options.recordMinutes) {
      const chunk = minutes.slice(i, i + this.#options.recordMinutes)
      this.#sink({ type: 'uptimeMinutes', minutes: chunk })
    }
  }

  /** Share of the minute starting at `at` outside every outage of the track. */
  #up(track: Track, at: number): number {
    const end = at + this.#options.minuteMs
    let downMs = 0
    for (const [s, e] of track.past) downMs += Math.max(0, Math.min(e, end) - Math.max(s, at))
    if (track.downSince !== null) downMs += Math.max(0, end - Math.max(track.downSince, at))
    return 1 - Math.min(downMs, this.#options.minuteMs) / this.#options.minuteMs
  }

  #track(event: VigilEvent): Track {
    let track = this.#tracks.get(event.serverId)
    if (!track) {
      const seenAt = event.type === 'serverUnavailable' ? event.lastSeenAt : event.at
      track = { slc: event.slc, firstSeenAt: seenAt, downSince: null, past: [] }
      this.#tracks.set(event.serverId, track)
    }
    return track
  }

  #floor(ms: number) {
    return Math.floor(ms / this.#options.minuteMs) * this.#options.minuteMs
  }

  #ceil(ms: number) {
    return Math.ceil(ms / this.#options.minuteMs) * this.#options.minuteMs
  }
}
