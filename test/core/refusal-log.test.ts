import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createRefusalLog } from '../../core/refusal-log.ts'
import { createMemoryLogger } from '../../core/logger.ts'
import { Metrics } from '../../core/metrics.ts'
import { Refusal } from '../../core/refusals.ts'

const test = suite('refusal log')

test('counts every refusal, logs at most the limit per code and minute, then what it held', () => {
  let now = 0
  const metrics = new Metrics()
  const { logger, lines } = createMemoryLogger()
  const record = createRefusalLog(metrics, logger, { linesPerMinute: 3, now: () => now })

  for (let i = 0; i < 10; i++) record(new Refusal('decrypt.failed'), { msgId: `m${i}` })
  record(new Refusal('gate.replay'), {})
  assert.is(metrics.value('vigil_refusals_total', { code: 'decrypt.failed' }), 10)
  assert.is(lines.filter((l) => l.code === 'decrypt.failed').length, 3)
  assert.is(lines.filter((l) => l.code === 'gate.replay').length, 1, 'codes have their own limit')

  now = 60_000
  record(new Refusal('decrypt.failed'), { msgId: 'm10' })
  const last = lines.at(-1)!
  assert.is(last.msgId, 'm10')
  assert.is(last.linesHeldBack, 7)
})

test.run()
