/**
 * The InfluxDB schema of Vigil's history, and the encoding of outbox records
 * into line protocol with @influxdata/influxdb-client's Point.
 *
 * Tags hold only values bounded by the size of the fleet: reseller, SLC and
 * customer (one per installation), server id and name (one per server), event
 * type and condition kind (fixed lists), drive (the drives of one server).
 * Subjects, details and causes are fields. Every number is a float field and
 * every text a string field, declared once below, so no field changes type.
 *
 * Timestamps are in nanoseconds: an event's millisecond plus its outbox id
 * modulo 999 999 below it. Two events of one server in the same millisecond
 * stay two points, and a retried write lands on the same key and overwrites
 * itself instead of adding a copy (idempotent writes).
 */
import { Point } from '@influxdata/influxdb-client'
import type { VigilEvent } from '../../core/events.ts'
import type { UptimeMinutes } from './uptime.ts'

export const measurement = {
  events: 'events',
  uptime: 'uptime',
  health: 'health',
  drives: 'drives',
} as const

const floatFields = new Set([
  'event_id',
  'started_at',
  'duration_ms',
  'active_change',
  'up',
  'used_percent',
  'cameras_online',
  'cameras_total',
  'licenses_used',
  'licenses_available',
])
const stringFields = new Set(['cause', 'subject', 'details'])

/** What the registry says about the server a record is about. */
export interface ServerInfo {
  resellerId: string
  slc: string
  customer: string
  name: string
}

export type ServerLookup = (slc: string, serverId: string) => ServerInfo | undefined

/** One line of protocol and the reseller whose database also receives it. */
export interface EncodedLine {
  resellerId: string | undefined
  line: string
}

export type HistoryRecord = VigilEvent | UptimeMinutes

type Fields = Record<string, string | number | undefined>

export class EncodeError extends Error {
  override readonly name = 'EncodeError'
  readonly code = 'unencodable-record'
}

/** All lines of one outbox record; throws EncodeError when it cannot be written. */
export function encodeRecord(
  id: number,
  record: HistoryRecord,
  lookup: ServerLookup,
): EncodedLine[] {
  if (record.type === 'uptimeMinutes') return encodeUptime(record, lookup)

  const info = lookup(record.slc, record.serverId)
  const tags = serverTags(record.slc, record.serverId, info)
  const time = eventTime(record.at, id)
  const line = (name: string, extra: Record<string, string>, fields: Fields) => ({
    resellerId: info?.resellerId,
    line: toLine(name, { ...tags, ...extra }, fields, time),
  })

  switch (record.type) {
    case 'serverUnavailable':
    case 'serverAvailable':
    case 'conditionRaised':
    case 'conditionCleared':
      return [line(measurement.events, eventTags(record), eventFields(id, record))]
    case 'statusReceived':
      return figureLines(record, line)
    case 'heartbeatReceived':
      // Liveness is stored as uptime minutes (uptime.ts), not one point per heartbeat.
      return []
    default:
      const type = JSON.stringify((record as { type?: unknown }).type)
      throw new EncodeError(`unknown record type ${type}`)
  }
}

function eventTags(event: VigilEvent): Record<string, string> {
  const kind = 'kind' in event ? event.kind : 'server-unavailable'
  return { type: event.type, kind }
}

function eventFields(id: number, event: VigilEvent): Fields {
  const base = { event_id: id, cause: event.cause }
  switch (event.type) {
    case 'serverUnavailable':
      return { ...base, started_at: event.lastSeenAt, active_change: 1 }
    case 'serverAvailable':
      return {
        ...base,
        started_at: event.outage.startedAt,
        duration_ms: event.outage.durationMs,
        active_change: -1,
      }
    case 'conditionRaised':
      return {
        ...base,
        subject: event.subject,
        details: JSON.stringify(event.details),
        active_change: 1,
      }
    case 'conditionCleared':
      return {
        ...base,
        subject: event.subject,
        started_at: event.raisedAt,
        duration_ms: event.at - event.raisedAt,
        active_change: -1,
      }
    default:
      return base
  }
}

function figureLines(
  event: Extract<VigilEvent, { type: 'statusReceived' }>,
  line: (name: string, extra: Record<string, string>, fields: Fields) => EncodedLine,
): EncodedLine[] {
  const { cameras, licenses, drives } = event.figures
  const lines: EncodedLine[] = []
  if (cameras || licenses) {
    lines.push(
      line(
        measurement.health,
        {},
        {
          cameras_online: cameras?.online,
          cameras_total: cameras?.total,
          licenses_used: licenses?.used,
          licenses_available: licenses?.available,
        },
      ),
    )
  }
  for (const drive of drives ?? []) {
    lines.push(
      line(
        measurement.drives,
        { drive: tagValue(drive.name) },
        { used_percent: drive.usedPercent },
      ),
    )
  }
  return lines
}

function encodeUptime(record: UptimeMinutes, lookup: ServerLookup): EncodedLine[] {
  return record.minutes.map((m) => {
    const info = lookup(m.slc, m.serverId)
    const tags = serverTags(m.slc, m.serverId, info)
    return {
      resellerId: info?.resellerId,
      line: toLine(measurement.uptime, tags, { up: m.up }, `${wholeMs(m.at)}000000`),
    }
  })
}

function serverTags(slc: string, serverId: string, info: ServerInfo | undefined) {
  return {
    reseller_id: info?.resellerId ?? '',
    slc,
    customer: tagValue(info?.customer ?? ''),
    server_id: serverId,
    server: tagValue(info?.name ?? ''),
  }
}

function toLine(name: string, tags: Record<string, string>, fields: Fields, time: string): string {
  const point = new Point(name).timestamp(time)
  for (const [key, value] of Object.entries(tags)) if (value !== '') point.tag(key, value)
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue
    if (typeof value === 'number' && floatFields.has(key)) point.floatField(key, value)
    else if (typeof value === 'string' && stringFields.has(key)) point.stringField(key, value)
    else throw new EncodeError(`field ${key} must not be ${typeof value}`)
  }
  return point.toLineProtocol()!
}

/** Nanosecond timestamp, as text: JavaScript numbers cannot hold it exactly. */
export function eventTime(atMs: number, id: number): string {
  return `${wholeMs(atMs)}${String(id % 999_999).padStart(6, '0')}`
}

function wholeMs(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms < 0) throw new EncodeError(`bad time ${ms}`)
  return ms
}

/**
 * Tag values cannot carry every character: line protocol has no escape for a
 * newline and a trailing backslash breaks the line. Free text in a tag (names)
 * is therefore percent-encoded for "%", "\" and control characters only, so
 * ordinary names read as they are and every name decodes back exactly.
 */
export function tagValue(text: string): string {
  return text.replace(
    /[%\\\u0000-\u001f\u007f]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  )
}

export function fromTagValue(tag: string): string {
  return tag.replace(/%([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}
