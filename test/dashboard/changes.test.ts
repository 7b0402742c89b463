import { Subject } from 'rxjs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { VigilEvent } from '../../core/events.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { ChangeFeed } from '../../api/dashboard/change-feed.ts'
import { RecentChanges } from '../../api/dashboard/recent-changes.ts'

const test = suite('dashboard change tracking')

function raised(slc: string): VigilEvent {
  return {
    type: 'conditionRaised',
    at: 0,
    slc,
    serverId: `${slc}-s`,
    cause: 'test',
    kind: 'drive-full',
    subject: 'D:',
    details: {},
  }
}

function heartbeat(slc: string): VigilEvent {
  return { type: 'heartbeatReceived', at: 0, slc, serverId: `${slc}-s`, cause: 'hb' }
}

function setup(options = { keepMs: 10_000, maxEntries: 100 }) {
  let now = 1_000
  const committed$ = new Subject<VigilEvent[]>()
  const changes = new RecentChanges(committed$, () => now, options, createMemoryLogger().logger)
  return {
    committed$,
    changes,
    advance: (ms: number) => {
      now += ms
    },
    now: () => now,
  }
}

test('remembers which installations changed state, and since when', () => {
  const { committed$, changes, advance } = setup()
  const seen: string[][] = []
  changes.changes$.subscribe((slcs) => seen.push(slcs))

  committed$.next([raised('A'), heartbeat('B'), raised('A')])
  advance(500)
  committed$.next([heartbeat('C')])
  committed$.next([raised('D')])

  assert.equal(seen, [['A'], ['D']], 'heartbeats alone are no change of state')
  assert.equal(changes.since(1_000), ['A', 'D'])
  assert.equal(changes.since(1_200), ['D'])
  assert.equal(changes.since(5_000), [])
})

test('says when a page is older than what it remembers', () => {
  const { committed$, changes, advance } = setup({ keepMs: 1_000, maxEntries: 100 })
  assert.is(changes.since(999), undefined, 'nothing from before it started')

  committed$.next([raised('A')])
  advance(2_000)
  committed$.next([raised('B')])
  assert.is(changes.since(1_000), undefined, 'A was forgotten')
  assert.equal(changes.since(3_000), ['B'])
})

test('keeps no more than its limit of entries, and knows what it dropped', () => {
  const { committed$, changes, advance, now } = setup({ keepMs: 60_000, maxEntries: 3 })
  const start = now()
  for (const slc of ['A', 'B', 'C', 'D', 'E']) {
    committed$.next([raised(slc)])
    advance(10)
  }
  assert.is(changes.since(start), undefined)
  assert.equal(changes.since(start + 20), ['C', 'D', 'E'])
})

test('the feed merges changes during a send and never sends twice at once', async () => {
  const sends: string[][] = []
  let sending = 0
  let overlap = false
  let release = () => {}
  const feed = new ChangeFeed({
    delayMs: 5,
    now: () => 0,
    onError: (error) => assert.unreachable(String(error)),
    send: async (slcs) => {
      sending++
      overlap ||= sending > 1
      sends.push(slcs)
      await new Promise<void>((resolve) => {
        release = resolve
      })
      sending--
    },
  })

  feed.add(['A'])
  await new Promise((resolve) => setTimeout(resolve, 20))
  feed.add(['B'])
  feed.add(['C', 'B'])
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.equal(sends, [['A']], 'the second batch waits for the first send')

  release()
  await new Promise((resolve) => setTimeout(resolve, 20))
  release()
  assert.equal(sends, [['A'], ['B', 'C']])
  assert.not.ok(overlap)
  feed.close()
})

test('the feed stops and reports when a send fails', async () => {
  const errors: unknown[] = []
  let calls = 0
  const feed = new ChangeFeed({
    delayMs: 1,
    now: () => 0,
    onError: (error) => errors.push(error),
    send: async () => {
      calls++
      throw new Error('socket gone')
    },
  })
  feed.add(['A'])
  await new Promise((resolve) => setTimeout(resolve, 20))
  feed.add(['B'])
  await new Promise((resolve) => setTimeout(resolve, 20))
  assert.is(calls, 1)
  assert.is(errors.length, 1)
})

test.run()
