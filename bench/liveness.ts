/**
 * Liveness at fleet scale (issue 2): 100,000 recording servers on one
 * pipeline. Prints memory per tracked server, pipeline throughput, the cost
 * of the timing wheel at two message rates, and detection lag.
 *
 *   node --expose-gc --import tsx bench/liveness.ts [servers]
 */
import { Subject } from 'rxjs'
import { ManualScheduler } from '../core/clock.ts'
import { createJsonLogger } from '../core/logger.ts'
import { Metrics } from '../core/metrics.ts'
import { topicFor } from '../core/topics.ts'
import { createPipeline } from '../pipeline/pipeline.ts'
import type { BrokerMessage } from '../pipeline/message.ts'
import type { ServerRecord } from '../store/registry.ts'

const servers = Number(process.argv[2] ?? 100_000)
const intervalMs = 60_000
const tickMs = 250
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined)

function setup() {
  const scheduler = new ManualScheduler()
  const records = new Map<string, ServerRecord>()
  for (let i = 0; i < servers; i++) {
    const id = `s-${i.toString(16).padStart(8, '0')}`
    records.set(id, {
      id,
      slc: `SLC-${Math.floor(i / 2)}`,
      name: 'R',
      resellerId: 'r',
      heartbeatIntervalMs: intervalMs,
      accepted: true,
      subscriptionExpiresAt: Number.MAX_SAFE_INTEGER,
    })
  }
  const source = new Subject<BrokerMessage>()
  const pipeline = createPipeline(source, {
    keys: { server: (id) => records.get(id), serverKey: () => undefined },
    scheduler,
    logger: createJsonLogger({ level: 'error' }),
    metrics: new Metrics(),
    options: {
      maxClockSkewMs: 600_000,
      livenessTickMs: tickMs,
      messageBurst: 100,
      messagesPerSecond: 5,
    },
  })
  let unavailable = 0
  let lastUnavailableAt = 0
  const sub = pipeline.events$.subscribe((e) => {
    if (e.type === 'serverUnavailable') {
      unavailable++
      lastUnavailableAt = e.at
    }
  })
  sub.add(pipeline.refusals$.subscribe())
  sub.add(pipeline.start())
  const empty = Buffer.alloc(0)
  const topics = [...records.values()].map((r) => ({
    id: r.id,
    topic: topicFor(r.slc, r.id, 'heartbeat'),
  }))
  let n = 0
  const beat = (i: number) => {
    const t = topics[i]!
    source.next({
      msgId: `m${++n}`,
      topic: t.topic,
      payload: empty,
      clientId: t.id,
      receivedAt: scheduler.now(),
    })
  }
  return { scheduler, pipeline, beat, sub, stats: () => ({ unavailable, lastUnavailableAt }) }
}

function heapMb() {
  gc()
  return process.memoryUsage().heapUsed
}

// 1. Memory per tracked server: the whole pipeline state after one heartbeat each.
const before = heapMb()
const a = setup()
const afterSetup = heapMb()
for (let i = 0; i < servers; i++) a.beat(i)
const afterTracking = heapMb()
const perServer = (afterTracking - afterSetup) / servers
console.log(`servers: ${servers.toLocaleString('en')}`)
console.log(
  `memory per tracked server (actor state + wheel entry + replay guard): ` +
    `${perServer.toFixed(0)} bytes`,
)
console.log(
  `(registry stand-in, not counted: ${((afterSetup - before) / servers).toFixed(0)} bytes/server)`,
)

// 2. Throughput: one heartbeat per server per minute of virtual time, 5 minutes.
let start = performance.now()
for (let minute = 0; minute < 5; minute++) {
  for (let i = 0; i < servers; i++) a.beat(i)
  a.scheduler.advanceBy(intervalMs)
}
let elapsed = performance.now() - start
console.log(
  `throughput: ${Math.round((5 * servers) / (elapsed / 1000)).toLocaleString('en')} ` +
    `heartbeats/s through decode, gate and actor (incl. ${(5 * 60_000) / tickMs} wheel ticks)`,
)
const memoryAfterTraffic = heapMb()
console.log(
  `memory after ${(5 * servers).toLocaleString('en')} more messages: ` +
    `${((memoryAfterTraffic - afterSetup) / servers).toFixed(0)} bytes/server ` +
    '(no growth with messages)',
)

// 3. Wheel cost does not follow the message rate: ticks for 10 virtual minutes at 1x and 10x.
function tickCost(messagesPerInterval: number) {
  const b = setup()
  for (let i = 0; i < servers; i++) b.beat(i)
  let tickTime = 0
  for (let step = 0; step < 10 * messagesPerInterval; step++) {
    for (let i = 0; i < servers; i++) b.beat(i)
    const t0 = performance.now()
    b.scheduler.advanceBy(intervalMs / messagesPerInterval)
    tickTime += performance.now() - t0
  }
  b.sub.unsubscribe()
  return tickTime
}
const slow = tickCost(1)
const fast = tickCost(10)
console.log(
  `wheel time over 10 virtual minutes: ${slow.toFixed(0)} ms at 1 msg/interval, ` +
    `${fast.toFixed(0)} ms at 10 msg/interval per server`,
)

// 4. Detection: everybody falls silent at once.
const silentFrom = a.scheduler.now()
start = performance.now()
while (a.stats().unavailable < servers) a.scheduler.advanceBy(tickMs)
elapsed = performance.now() - start
const lag = a.stats().lastUnavailableAt - (silentFrom - intervalMs + 3 * intervalMs)
console.log(
  `detection: ${a.stats().unavailable.toLocaleString('en')} servers flagged, worst lag ` +
    `${lag} ms after the third missed deadline; ` +
    `${elapsed.toFixed(0)} ms of CPU for the whole sweep`,
)
a.sub.unsubscribe()
