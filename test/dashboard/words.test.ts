import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  conditionWords,
  detailWords,
  installationStatus,
  needsAttention,
  problemPhrases,
  sortKey,
  unmonitoredReason,
} from '../../api/dashboard/describe.ts'
import { clockTime, durationWords, viewerZoneOf } from '../../api/dashboard/format.ts'
import type { InstallationSummary, Problem } from '../../store/views.ts'

const test = suite('dashboard words')
const minute = 60_000
const hour = 60 * minute
const at = Date.parse('2026-01-05T08:00:00Z')

function summary(problems: Array<Partial<Problem>>, extra: Partial<InstallationSummary> = {}) {
  const full = problems.map((p): Problem => ({
    serverId: 's1',
    serverName: 'Recorder 1',
    kind: 'camera-unreachable',
    subject: '',
    details: {},
    since: at,
    ...p,
  }))
  return {
    slc: 'SLC-1',
    customerName: 'Harbour Storage',
    subscriptionExpiresAt: at + 365 * 24 * hour,
    accepted: true,
    servers: 1,
    unavailableServers: full.filter((p) => p.kind === 'server-unavailable').length,
    problems: full,
    inError: full.length > 0,
    since: full.length ? Math.min(...full.map((p) => p.since)) : null,
    ...extra,
  } satisfies InstallationSummary
}

test('words durations the way the issue asks', () => {
  assert.is(durationWords(0), 'under a minute')
  assert.is(durationWords(59_999), 'under a minute')
  assert.is(durationWords(5 * minute), '5 min')
  assert.is(durationWords(2 * hour), '2 h')
  assert.is(durationWords(2 * hour + 14 * minute + 59_000), '2 h 14 min')
  assert.is(durationWords(24 * hour), '1 day')
  assert.is(durationWords(3 * 24 * hour + 4 * hour + 5 * minute), '3 days 4 h')
})

test('the browser script words durations exactly as the server does', async () => {
  const script = new URL('../../api/dashboard/assets/dashboard.js', import.meta.url)
  const browser = (await import(script.href)) as { durationWords: (ms: number) => string }
  const samples = [
    0, 1, 59_999, 60_000, 61_000, 3_599_999, 3_600_000, 8_099_999, 86_399_999, 86_400_000,
    90_000_000, 200_000_000, 2_600_000_000,
  ]
  for (let ms = 0; ms < 3 * 24 * hour; ms += 7 * minute + 13_001) samples.push(ms)
  for (const ms of samples) assert.is(browser.durationWords(ms), durationWords(ms), `at ${ms} ms`)
})

test("shows clock times in the viewer's zone, with the date only when it is not today", () => {
  const now = at + 2 * hour
  assert.is(clockTime(at, 'Europe/Amsterdam', now), '09:00')
  assert.is(clockTime(at, 'America/New_York', now), '03:00')
  assert.is(clockTime(at - 24 * hour, 'UTC', now), 'yesterday 08:00')
  assert.is(clockTime(at - 3 * 24 * hour, 'UTC', now), 'Fri 2 Jan, 08:00')
  assert.is(clockTime(at - 30 * 24 * hour, 'UTC', now), '6 Dec 2025, 08:00')
})

test("takes only a real IANA zone from the viewer's cookie", () => {
  assert.is(viewerZoneOf('Europe/Amsterdam'), 'Europe/Amsterdam')
  assert.is(viewerZoneOf('Mars/Olympus'), 'UTC')
  assert.is(viewerZoneOf('<script>'), 'UTC')
  assert.is(viewerZoneOf(undefined), 'UTC')
})

test('says what is wrong in plain words', () => {
  const s = summary([
    { kind: 'camera-unreachable', subject: 'Cam 1' },
    { kind: 'camera-unreachable', subject: 'Cam 2' },
    { kind: 'drive-full', subject: 'D:' },
    { kind: 'server-unavailable', subject: 'Recorder 1', since: at - 2 * hour },
  ])
  const phrases = problemPhrases(s)
  assert.equal(
    phrases.map((p) => p.text),
    ['unavailable for ', '2 cameras unreachable', 'drive D: full'],
  )
  assert.is(phrases[0]!.since, at - 2 * hour, 'the duration counts from the last sign of life')

  assert.is(
    conditionWords({ kind: 'camera-unreachable', subject: 'Gate' }),
    'camera Gate unreachable',
  )
  assert.is(
    conditionWords({ kind: 'archive-delete-failed', subject: '' }),
    'could not delete an archive',
  )
  assert.is(
    conditionWords({ kind: 'license-shortage', subject: '', details: { used: 12, available: 10 } }),
    '12 cameras, only 10 licenses',
  )
})

test('names which servers of a larger site are unavailable', () => {
  const down = (name: string) => ({
    kind: 'server-unavailable' as const,
    serverName: name,
    subject: name,
  })
  assert.is(
    problemPhrases(summary([down('East')], { servers: 3 }))[0]!.text,
    'East unavailable for ',
  )
  assert.is(
    problemPhrases(summary([down('East'), down('West')], { servers: 3 }))[0]!.text,
    '2 of 3 servers unavailable for ',
  )
  assert.is(
    problemPhrases(summary([down('East'), down('West')], { servers: 2 }))[0]!.text,
    'all 2 servers unavailable for ',
  )
})

test('sorts the worst first: silent sites, then the most problems, then the oldest', () => {
  const silent = summary([{ kind: 'server-unavailable' }], { customerName: 'Zed' })
  const many = summary([{}, { subject: 'b' }, { subject: 'c' }], { customerName: 'Many' })
  const oldOne = summary([{ since: at - hour }], { customerName: 'Old' })
  const newOne = summary([{ since: at }], { customerName: 'Alpha' })
  const healthy = summary([], { customerName: 'Aardvark' })
  const idle = summary([], { customerName: 'Aaa', servers: 0 })
  const sorted = [idle, healthy, newOne, oldOne, many, silent].sort((a, b) =>
    sortKey(a, at) < sortKey(b, at) ? -1 : 1,
  )
  assert.equal(
    sorted.map((s) => s.customerName),
    ['Zed', 'Many', 'Old', 'Alpha', 'Aardvark', 'Aaa'],
  )
})

test('calls a site nobody watches "Not monitored", says why, and sorts it after the errors', () => {
  const expired = summary([], {
    customerName: 'Expired',
    subscriptionExpiresAt: Date.parse('2025-12-03T12:00:00Z'),
  })
  const withdrawn = summary([], { customerName: 'Withdrawn', accepted: false })
  const never = summary([], { customerName: 'Never', subscriptionExpiresAt: null })
  const healthy = summary([], { customerName: 'Healthy' })
  const failing = summary([{}], { customerName: 'Failing' })

  for (const s of [expired, withdrawn, never]) {
    assert.is(installationStatus(s, at), 'unmonitored', s.customerName)
    assert.ok(needsAttention(s, at), `${s.customerName} is listed by default`)
  }
  assert.is(installationStatus(healthy, at), 'ok')
  assert.not.ok(needsAttention(healthy, at))
  assert.is(
    unmonitoredReason(expired, at, 'Europe/Amsterdam'),
    'support subscription expired on 3 Dec 2025',
  )
  assert.is(
    unmonitoredReason({ ...expired, subscriptionExpiresAt: at - 2 * 24 * hour }, at, 'UTC'),
    'support subscription expired on 3 Jan',
  )
  assert.is(unmonitoredReason(withdrawn, at, 'UTC'), 'the site withdrew its consent')
  assert.is(unmonitoredReason(never, at, 'UTC'), 'no support subscription')
  assert.is(unmonitoredReason(healthy, at, 'UTC'), '')

  const sorted = [healthy, expired, failing].sort((a, b) =>
    sortKey(a, at) < sortKey(b, at) ? -1 : 1,
  )
  assert.equal(
    sorted.map((s) => s.customerName),
    ['Failing', 'Expired', 'Healthy'],
  )
})

test('words the details the agent sends, and shows any other as "key: value"', () => {
  assert.is(detailWords({ usedPercent: 99 }), '99 % used')
  assert.is(detailWords({ message: 'I/O error on target volume' }), 'I/O error on target volume')
  assert.is(detailWords({ used: 34, available: 32 }), '34 used of 32 licenses')
  assert.is(detailWords({ usedPercent: 100, freeBytes: 0 }), '100 % used · 0 bytes free')
  assert.is(
    detailWords({ address: '10.0.1.10', reason: 'no answer to RTSP DESCRIBE' }),
    'at 10.0.1.10 · no answer to RTSP DESCRIBE',
  )
  assert.is(detailWords({ errorCode: 5 }), 'error code: 5')
  assert.is(detailWords(null), '')
})

test.run()
