/**
 * The recording-server side: an empty heartbeat every interval and an
 * encrypted status whenever the set of active situations changes, and
 * periodically so a lost message heals. Reconnects with backoff and jitter.
 */
import mqtt, { type MqttClient } from 'mqtt'
import { interval, type Subscription } from 'rxjs'
import { wallClock, type Scheduler } from '../core/clock.ts'
import type { ReportedKind } from '../core/conditions.ts'
import { seal } from '../core/envelope.ts'
import type { HealthFigures } from '../core/events.ts'
import type { StatusInput } from '../pipeline/schema.ts'
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.ts'
import type { AgentCredentials } from './credentials.ts'

export interface ReportedCondition {
  kind: ReportedKind
  subject?: string
  details?: Record<string, string | number | boolean>
}

/** What happens to the agent's link, for whoever wants to show it (the CLI prints it). */
export type AgentLinkEvent =
  | { type: 'connected'; connections: number }
  | { type: 'reconnectScheduled'; retryInMs: number; error?: Error }

export interface AgentOptions {
  /** Timers of the agent (heartbeats, periodic status). */
  scheduler: Scheduler
  /** Wall clock for the send time inside each status. */
  now: () => number
  /** A status is re-sent this often even when nothing changed. */
  statusEveryMs: number
  /** Heartbeats drift by up to this share of the interval, as real servers do. */
  jitterRatio: number
  backoff: BackoffOptions
  /** First sequence number; by default the wall clock in ms, which survives restarts. */
  firstSeq?: number
  /** Broker URL to use instead of the one from enrollment. */
  mqttUrl?: string
  /** Told of every connection and every scheduled reconnect. */
  onLinkEvent: (event: AgentLinkEvent) => void
}

const publishTimeoutMs = 10_000

export const defaultAgentOptions: AgentOptions = {
  scheduler: wallClock,
  now: Date.now,
  statusEveryMs: 5 * 60_000,
  jitterRatio: 0,
  backoff: defaultBackoff,
  onLinkEvent: () => undefined,
}

export class Agent {
  credentials: AgentCredentials
  readonly #options: AgentOptions
  #key: Buffer
  #client: MqttClient | undefined
  #timers: Subscription | undefined
  #seq: number
  #conditions: ReportedCondition[] = []
  #figures: HealthFigures = {}
  #silent = false
  #stopped = false
  #attempt = 0
  #reconnectTimer: NodeJS.Timeout | undefined
  #lastError: Error | undefined
  sent = { heartbeats: 0, statuses: 0 }
  /** CONNACKs received so far: 1 after start, more after reconnects. */
  connections = 0

  constructor(credentials: AgentCredentials, options: Partial<AgentOptions> = {}) {
    this.credentials = credentials
    this.#options = { ...defaultAgentOptions, ...options }
    this.#key = Buffer.from(credentials.key, 'base64')
    this.#seq = this.#options.firstSeq ?? this.#options.now()
  }

  get connected(): boolean {
    return this.#client?.connected ?? false
  }

  /**
   * Connects and starts the timers; resolves on the first CONNACK. It rejects
   * on the first failure unless `untilConnected` is set: then a broker that is
   * down or refusing is retried with backoff until it answers, as a recording
   * server booting while Vigil restarts must do. Either way the agent goes on
   * reconnecting after a failure; stop() ends it, and rejects a pending start.
   */
  start(options: { untilConnected?: boolean } = {}): Promise<void> {
    this.#stopped = false
    this.#startTimers()
    return new Promise((resolve, reject) => {
      const client = this.#connect()
      client.once('connect', () => resolve())
      client.once('end', () => reject(new Error('the agent was stopped before it connected')))
      if (options.untilConnected) return
      client.once('error', (error) => {
        if (!client.connected) reject(error)
      })
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#timers?.unsubscribe()
    clearTimeout(this.#reconnectTimer)
    const client = this.#client
    this.#client = undefined
    if (client) await client.endAsync(true)
  }

  /** Seals from now on with a rotated key (see rotateKey in credentials.ts). */
  useCredentials(credentials: AgentCredentials): void {
    this.credentials = credentials
    this.#key = Buffer.from(credentials.key, 'base64')
  }

  /** A server that goes silent sends nothing at all, as when its link breaks. */
  setSilent(silent: boolean): void {
    this.#silent = silent
    // A failed heartbeat is healed by the next one; left uncaught it would end the process.
    if (!silent) void this.heartbeat().catch(() => undefined)
  }

  /** Reports the full set of active situations; sends a status only when it changed. */
  setConditions(conditions: ReportedCondition[], figures?: HealthFigures): Promise<void> {
    const changed = JSON.stringify(conditions) !== JSON.stringify(this.#conditions)
    this.#conditions = conditions
    if (figures) this.#figures = figures
    return changed ? this.sendStatus() : Promise.resolve()
  }

  async heartbeat(): Promise<void> {
    if (!this.#canSend()) return
    await this.#publish(this.credentials.topics.heartbeat, Buffer.alloc(0), 0)
    this.sent.heartbeats++
  }

  async sendStatus(): Promise<void> {
    if (!this.#canSend()) return
    const status: StatusInput = {
      seq: ++this.#seq,
      sentAt: this.#options.now(),
      conditions: this.#conditions.map((c) => ({
        kind: c.kind,
        subject: c.subject ?? '',
        details: c.details ?? {},
      })),
      figures: this.#figures,
    }
    const topic = this.credentials.topics.status
    const payload = seal(
      this.#key,
      this.credentials.keyId,
      topic,
      Buffer.from(JSON.stringify(status)),
    )
    await this.#publish(topic, payload, 1)
    this.sent.statuses++
  }

  /**
   * A publish written into a socket that is already dead never completes in
   * MQTT.js; a bounded wait keeps the agent's timers from piling up behind it.
   */
  #publish(topic: string, payload: Buffer, qos: 0 | 1): Promise<void> {
    const client = this.#client!
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`publish to ${topic} timed out`)),
        publishTimeoutMs,
      )
      client.publish(topic, payload, { qos }, (error) => {
        clearTimeout(timer)
        if (error) reject(error)
        else resolve()
      })
    })
  }

  #canSend() {
    return !this.#silent && !this.#stopped && this.connected
  }

  #connect(): MqttClient {
    const c = this.credentials
    const client = mqtt.connect(this.#options.mqttUrl ?? c.mqttUrl, {
      protocolVersion: 4,
      clientId: c.serverId,
      username: c.username,
      password: c.password,
      ca: c.ca,
      clean: true,
      // Reconnects are ours, with backoff and jitter; MQTT.js only retries at a fixed period.
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 60,
    })
    client.on('connect', () => {
      this.connections++
      this.#attempt = 0
      this.#lastError = undefined
      this.#options.onLinkEvent({ type: 'connected', connections: this.connections })
      void this.heartbeat()
        .then(() => this.sendStatus())
        .catch(() => undefined)
    })
    client.on('close', () => this.#scheduleReconnect(client))
    // Kept to say why, when the reconnect that follows the 'close' is scheduled.
    client.on('error', (error) => {
      this.#lastError = error
    })
    this.#client = client
    return client
  }

  #scheduleReconnect(client: MqttClient) {
    if (this.#stopped || this.#client !== client || this.#reconnectTimer) return
    const delay = backoffDelay(this.#attempt++, this.#options.backoff)
    const error = this.#lastError
    this.#options.onLinkEvent({ type: 'reconnectScheduled', retryInMs: delay, error })
    this.#lastError = undefined
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      if (!this.#stopped && this.#client === client) client.reconnect()
    }, delay)
    this.#reconnectTimer.unref?.()
  }

  #startTimers() {
    const { scheduler, statusEveryMs, jitterRatio } = this.#options
    const intervalMs = this.credentials.heartbeatIntervalMs
    this.#timers?.unsubscribe()
    this.#timers = interval(intervalMs, scheduler).subscribe(() => {
      const drift = jitterRatio > 0 ? (Math.random() * 2 - 1) * jitterRatio * intervalMs : 0
      if (drift <= 0) return void this.heartbeat().catch(() => undefined)
      scheduler.schedule(() => void this.heartbeat().catch(() => undefined), drift)
    })
    this.#timers.add(
      interval(statusEveryMs, scheduler).subscribe(() => {
        void this.sendStatus().catch(() => undefined)
      }),
    )
  }
}
