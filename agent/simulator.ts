/**
 * A fleet of simulated recording servers: real agents speaking MQTT over TLS,
 * across several resellers' sites, with scripted faults coming and going.
 */
import type { HealthFigures } from '../core/events.ts'
import type { Logger } from '../core/logger.ts'
import { Agent, type ReportedCondition } from './agent.ts'
import { enroll, type AgentCredentials } from './credentials.ts'
import { faults, type Fault } from './faults.ts'

export interface SimulatedSite {
  slc: string
  enrollmentCode: string
  servers: number
}

export interface FleetOptions {
  apiUrl: string
  /** Broker URL, when agents should not use the one handed out at enrollment. */
  mqttUrl?: string
  /** A new fault starts somewhere in the fleet this often. */
  faultEveryMs: number
  /** Share of servers that start with a fault already active. */
  initialFaultShare: number
  random: () => number
  logger: Logger
}

interface Member {
  agent: Agent
  site: string
  active?: { fault: Fault; conditions: ReportedCondition[]; until: number }
}

export class FleetSimulator {
  readonly #options: FleetOptions
  readonly #members: Member[] = []
  #timer: NodeJS.Timeout | undefined

  constructor(options: FleetOptions) {
    this.#options = options
  }

  get agents(): Agent[] {
    return this.#members.map((m) => m.agent)
  }

  async enrollAndStart(sites: SimulatedSite[]): Promise<void> {
    for (const site of sites) {
      for (let i = 1; i <= site.servers; i++) {
        const credentials = await enroll(this.#options.apiUrl, {
          slc: site.slc,
          enrollmentCode: site.enrollmentCode,
          serverName: `Recorder ${i}`,
          acceptedBy: 'simulated site administrator',
        })
        await this.#startAgent(site.slc, credentials)
      }
    }

    const initial = Math.round(this.#members.length * this.#options.initialFaultShare)
    for (let i = 0; i < initial; i++) this.#startFault()
    this.#timer = setInterval(() => this.#tick(), this.#options.faultEveryMs)
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer)
    await Promise.all(this.#members.map((m) => m.agent.stop()))
  }

  sent(): { heartbeats: number; statuses: number } {
    return this.#members.reduce(
      (sum, m) => ({
        heartbeats: sum.heartbeats + m.agent.sent.heartbeats,
        statuses: sum.statuses + m.agent.sent.statuses,
      }),
      { heartbeats: 0, statuses: 0 },
    )
  }

  async #startAgent(site: string, credentials: AgentCredentials) {
    const agent = new Agent(credentials, {
      mqttUrl: this.#options.mqttUrl,
      statusEveryMs: credentials.heartbeatIntervalMs * 10,
      jitterRatio: 0.1,
    })
    this.#members.push({ agent, site })
    try {
      await agent.start()
      await agent.setConditions([], figures(0, this.#options.random))
    } catch (error) {
      // A refused server (e.g. expired subscription) keeps retrying, as a real one would.
      this.#options.logger.info('simulatedServerRefused', {
        slc: site,
        serverId: credentials.serverId,
        error,
      })
    }
  }

  #tick() {
    const now = Date.now()
    for (const member of this.#members) {
      if (member.active && member.active.until <= now) this.#endFault(member)
    }
    this.#startFault()
  }

  #startFault() {
    const idle = this.#members.filter((m) => !m.active)
    if (idle.length === 0) return
    const { random, logger } = this.#options
    const member = idle[Math.floor(random() * idle.length)]!
    const fault = faults[Math.floor(random() * faults.length)]!
    const conditions = fault.conditions?.(random) ?? []
    const until = Date.now() + fault.intervals * member.agent.credentials.heartbeatIntervalMs
    member.active = { fault, conditions, until }

    logger.info('simulatedFaultStarted', {
      slc: member.site,
      serverId: member.agent.credentials.serverId,
      fault: fault.name,
    })
    if (fault.silent) member.agent.setSilent(true)
    else
      void member.agent
        .setConditions(conditions, figures(conditions.length, random))
        .catch(() => undefined)
  }

  #endFault(member: Member) {
    const fault = member.active!.fault
    member.active = undefined
    this.#options.logger.info('simulatedFaultEnded', {
      slc: member.site,
      serverId: member.agent.credentials.serverId,
      fault: fault.name,
    })
    if (fault.silent) member.agent.setSilent(false)
    else
      void member.agent.setConditions([], figures(0, this.#options.random)).catch(() => undefined)
  }
}

function figures(faultCount: number, random: () => number): HealthFigures {
  const total = 16 + Math.floor(random() * 16)
  return {
    drives: [{ name: 'D:', usedPercent: Math.round(40 + random() * 50) }],
    cameras: { online: Math.max(0, total - faultCount), total },
    licenses: { used: total, available: total + 4 },
  }
}
