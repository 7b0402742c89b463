import { randomBytes } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { seal } from '../../core/envelope.ts'
import { isRefusal, type RefusalCode } from '../../core/refusals.ts'
import { decode } from '../../pipeline/decode.ts'
import type { BrokerMessage } from '../../pipeline/message.ts'

const test = suite('pipeline: decode')
const status = 'vigil/v1/SLC-1/s-1/status'
const heartbeat = 'vigil/v1/SLC-1/s-1/heartbeat'

function message(topic: string, payload: Buffer = Buffer.alloc(0)): BrokerMessage {
  return { msgId: 'm1', topic, payload, clientId: 's-1', receivedAt: 0 }
}

function refusalOf(m: BrokerMessage): RefusalCode | undefined {
  try {
    decode(m)
    return undefined
  } catch (error) {
    if (!isRefusal(error)) throw error
    return error.code
  }
}

test('reads the server and kind from the topic', () => {
  const decoded = decode(message(heartbeat))
  assert.equal(decoded.address, { slc: 'SLC-1', serverId: 's-1', kind: 'heartbeat' })
  assert.is(decoded.kind, 'heartbeat')
})

test('reads a status envelope without decrypting it', () => {
  const payload = seal(randomBytes(32), 'k1', status, Buffer.from('{}'))
  const decoded = decode(message(status, payload))
  assert.is(decoded.kind, 'status')
  if (decoded.kind === 'status') assert.is(decoded.envelope.kid, 'k1')
})

test("refuses topics that are not a server's heartbeat or status", () => {
  const topics = [
    'vigil/v1/SLC-1/s-1/command',
    'vigil/v1/SLC-1/s-1',
    'vigil/v1/SLC-1/s-1/status/x',
    'vigil/v2/SLC-1/s-1/status',
    'vigil/v1/S/s-1/status',
    'vigil/v1/SLC 1/s-1/status',
    'vigil/v1/SLC-1/s+1/status',
    'vigil/v1//s-1/status',
    '',
    'vigil/v1/SLC-1/s-1/Status',
  ]
  for (const topic of topics) assert.is(refusalOf(message(topic)), 'decode.bad-topic', topic)
})

test('refuses a heartbeat with any payload at all', () => {
  assert.is(refusalOf(message(heartbeat, Buffer.from([0]))), 'decode.heartbeat-not-empty')
  assert.is(refusalOf(message(heartbeat, Buffer.from(' '))), 'decode.heartbeat-not-empty')
})

test('refuses an empty or non-JSON status', () => {
  assert.is(refusalOf(message(status)), 'decode.bad-envelope')
  assert.is(refusalOf(message(status, randomBytes(40))), 'decode.bad-envelope')
  assert.is(refusalOf(message(status, Buffer.from('{"v":1}'))), 'decode.bad-envelope')
})

test.run()
