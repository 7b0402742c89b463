/**
 * What each panel query must return for the seeded history (seed.ts), one
 * check per query, keyed by dashboard and panel title. A panel without an
 * entry fails the test, so a new panel comes with its expected values.
 */
import * as assert from 'uvu/assert'
import { T0 } from './seed.ts'

export type Rows = Array<Record<string, unknown>>
type Check = (rows: Rows, label: string) => void

interface DashboardExpectations {
  /** What Grafana would put in $__interval for the test's two-hour range. */
  interval: string
  variables?: Record<string, string>
  panels: Record<string, Check[]>
}

const hour = 3600_000
const half = hour / 2

/** The rows, reduced to the expected keys, in any order; numbers to 3 decimals. */
function rows(expected: Rows): Check {
  return (actual, label) => {
    const keys = [...new Set(expected.flatMap((row) => Object.keys(row)))]
    const value = (v: unknown) =>
      typeof v === 'number' ? Math.round(v * 1000) / 1000 : (v ?? null)
    const project = (row: Record<string, unknown>) =>
      JSON.stringify(Object.fromEntries(keys.map((k) => [k, value(row[k])])))
    assert.equal(actual.map(project).sort(), expected.map(project).sort(), label)
  }
}

/** A single number, whatever its column is called. */
function single(expected: number): Check {
  return (actual, label) => {
    assert.is(actual.length, 1, `${label}: one row`)
    const value = Object.entries(actual[0]!).find(([key]) => key !== 'time')![1] as number
    assert.is(Math.round(value * 1000) / 1000, expected, label)
  }
}

/** The non-empty points of a time series query, per series tag. */
type Series = Record<string, Array<[number, number]>>

function points(tag: string, column: string, expected: Series): Check {
  return (actual, label) => {
    const got: Series = {}
    for (const row of actual) {
      if (row[column] === null || row[column] === undefined) continue
      const value = Math.round((row[column] as number) * 1000) / 1000
      ;(got[String(row[tag])] ??= []).push([Number(row.time) - T0, value])
    }
    assert.equal(got, expected, label)
  }
}

export function expectations(sites: {
  alpha: string
  bravo: string
}): Record<string, DashboardExpectations> {
  const { alpha, bravo } = sites
  return {
    'Vigil: fleet health': {
      interval: '1h',
      panels: {
        'Servers reporting': [single(4)],
        'Servers unavailable now': [single(1)],
        'Open error situations': [single(1)],
        'Fleet availability': [single(87.5)],
        'Availability by reseller': [
          points('reseller_id', 'mean', {
            [alpha]: [
              [0, 83.333],
              [hour, 100],
            ],
            [bravo]: [
              [0, 100],
              [hour, 50],
            ],
          }),
        ],
        'Open problems by reseller': [
          rows([
            { reseller_id: alpha, kind: 'drive-full', open: 1 },
            { reseller_id: bravo, kind: 'server-unavailable', open: 1 },
          ]),
        ],
        'Outages started': [
          (actual, label) => {
            const counts = actual.map((r) => [Number(r.time) - T0, r.count])
            assert.equal(
              counts.filter(([, c]) => c !== 0),
              [
                [0, 1],
                [hour, 1],
              ],
              label,
            )
          },
        ],
      },
    },
    'Vigil: reseller overview': {
      interval: '1h',
      variables: { reseller: alpha },
      panels: {
        'Sites in error': [single(1)],
        Availability: [single(91.667)],
        'Sites, in error first': [
          rows([
            { slc: 'SLC-A1', customer: 'Alpha Storage', problems: 1 },
            { slc: 'SLC-A2', customer: 'Beta Shop', problems: 0 },
          ]),
          rows([
            { slc: 'SLC-A1', customer: 'Alpha Storage', availability: 87.5 },
            { slc: 'SLC-A2', customer: 'Beta Shop', availability: 100 },
          ]),
        ],
        'Open problems': [
          rows([
            {
              slc: 'SLC-A1',
              customer: 'Alpha Storage',
              server: 'Recorder 1',
              kind: 'drive-full',
              open: 1,
            },
          ]),
        ],
        'Availability per site': [
          points('slc', 'mean', {
            'SLC-A1': [
              [0, 75],
              [hour, 100],
            ],
            'SLC-A2': [
              [0, 100],
              [hour, 100],
            ],
          }),
        ],
      },
    },
    'Vigil: installation': {
      interval: '30m',
      variables: { reseller: alpha, slc: 'SLC-A1' },
      panels: {
        Availability: [single(87.5)],
        Servers: [
          rows([
            { server: 'Recorder 1', up_now: 1, availability: 100 },
            { server: 'Recorder 2', up_now: 1, availability: 75 },
          ]),
        ],
        'Outage timeline': [
          points('server', 'min', {
            'Recorder 1': [
              [0, 1],
              [half, 1],
              [hour, 1],
              [hour + half, 1],
            ],
            'Recorder 2': [
              [0, 1],
              [half, 0],
              [hour, 1],
              [hour + half, 1],
            ],
          }),
        ],
        Outages: [rows([{ started_at: T0 + half, minutes: 30, server: 'Recorder 2' }])],
        'Open problems': [rows([{ server: 'Recorder 1', kind: 'drive-full', open: 1 }])],
        'Drive fill': [
          (actual, label) =>
            rows([
              { drive: 'D:', max: 97, time: T0 },
              { drive: 'E:', max: 40, time: T0 },
            ])(actual, label),
        ],
        'Cameras online and installed': [
          rows([{ server: 'Recorder 1', online: 10, installed: 12, time: T0 }]),
        ],
        'Camera licenses used and available': [
          rows([{ server: 'Recorder 1', used: 12, available: 10, time: T0 }]),
        ],
      },
    },
    'Vigil: error history': {
      interval: '30m',
      variables: { reseller: '.*', slc: '.*' },
      panels: {
        'Hours by error kind': [
          rows([
            { kind: 'camera-unreachable', hours: 0.5 },
            { kind: 'server-unavailable', hours: 0.5 },
            { kind: 'license-shortage', hours: 1 },
            { kind: 'drive-full', hours: 0.167 },
          ]),
        ],
        'Mean time to recovery': [
          rows([
            { kind: 'camera-unreachable', mttr_minutes: 30, ended: 1 },
            { kind: 'server-unavailable', mttr_minutes: 30, ended: 1 },
            { kind: 'license-shortage', mttr_minutes: 60, ended: 1 },
            { kind: 'drive-full', mttr_minutes: 10, ended: 1 },
          ]),
        ],
        'Conditions raised': [
          points('kind', 'count', {
            'drive-full': [[0, 2]],
            'camera-unreachable': [[0, 1]],
            'license-shortage': [[half, 1]],
          }),
        ],
        'Event log': [
          (actual, label) => {
            assert.equal(
              actual.map((r) => `${r.slc} ${r.type}`),
              [
                'SLC-A2 conditionCleared',
                'SLC-B1 serverUnavailable',
                'SLC-A1 serverAvailable',
                'SLC-A1 conditionCleared',
                'SLC-A2 conditionRaised',
                'SLC-A1 serverUnavailable',
                'SLC-A1 conditionRaised',
                'SLC-B1 conditionCleared',
                'SLC-A1 conditionRaised',
                'SLC-B1 conditionRaised',
              ],
              label,
            )
            const raised = actual.find((r) => r.type === 'conditionRaised' && r.slc === 'SLC-A1')
            assert.is(raised!.subject, 'Cam 3')
          },
        ],
      },
    },
  }
}
