import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { ForbiddenTopic, PacketSizeGuard, PacketTooLarge } from '../../broker/size-guard.ts'

const test = suite('broker: packet guard on the byte stream')
const limit = 1024
const maxLevels = 8

/** MQTT 3.1.1 variable-length integer (2.2.3). */
function remainingLength(n: number): number[] {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return out
}

function publish(topic: string, payload: Buffer = Buffer.alloc(0)): Buffer {
  const name = Buffer.from(topic, 'utf8')
  const body = Buffer.concat([Buffer.from([name.length >> 8, name.length & 0xff]), name, payload])
  return Buffer.concat([Buffer.from([0x30, ...remainingLength(body.length)]), body])
}

const pingreq = Buffer.from([0xc0, 0x00])

/** Feeds the bytes in chunks of the given size; resolves with what passed or the error. */
function feed(bytes: Buffer, chunk: number): Promise<{ passed: Buffer; error?: Error }> {
  const guard = new PacketSizeGuard(limit, maxLevels)
  const passed: Buffer[] = []
  guard.on('data', (b: Buffer) => passed.push(b))
  return new Promise((resolve) => {
    guard.on('error', (error) => resolve({ passed: Buffer.concat(passed), error }))
    guard.on('finish', () => setImmediate(() => resolve({ passed: Buffer.concat(passed) })))
    for (let i = 0; i < bytes.length; i += chunk) guard.write(bytes.subarray(i, i + chunk))
    guard.end()
  })
}

const chunkings = [1, 2, 3, 7, 64, 100_000]

test('passes valid packets unchanged however the stream splits them', async () => {
  const stream = Buffer.concat([
    publish('vigil/v1/SLC-1/s-1/heartbeat'),
    pingreq,
    publish('vigil/v1/SLC-1/s-1/status', Buffer.alloc(limit - 40, 0x41)),
    publish('vigil/v1/SLC-1/s-1/heartbeat'),
  ])
  for (const size of chunkings) {
    const { passed, error } = await feed(stream, size)
    assert.is(error, undefined, `chunks of ${size}`)
    assert.ok(passed.equals(stream), `chunks of ${size}`)
  }
})

test('refuses a packet whose announced length is over the limit', async () => {
  const stream = Buffer.concat([pingreq, publish('vigil/v1/a/b/status', Buffer.alloc(limit))])
  for (const size of chunkings) {
    const { error } = await feed(stream, size)
    assert.instance(error, PacketTooLarge, `chunks of ${size}`)
    assert.is((error as PacketTooLarge).limit, limit)
  }
})

test('refuses a remaining length longer than four bytes as malformed', async () => {
  const { error } = await feed(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]), 1)
  assert.instance(error, PacketTooLarge)
})

test('refuses a PUBLISH to a wildcard, empty or too deep topic, however split', async () => {
  const topics = ['vigil/v1/+/s-1/heartbeat', 'vigil/#', '#', '', 'a/b/c/d/e/f/g/h/i']
  for (const topic of topics) {
    const stream = Buffer.concat([publish('vigil/v1/SLC-1/s-1/heartbeat'), publish(topic)])
    for (const size of chunkings) {
      const { error } = await feed(stream, size)
      assert.instance(error, ForbiddenTopic, `"${topic}" in chunks of ${size}`)
      assert.is((error as ForbiddenTopic).topic, topic)
    }
  }
})

test('looks at topics only: wildcard bytes in a payload pass', async () => {
  const stream = publish('vigil/v1/SLC-1/s-1/status', Buffer.from('{"ct":"+/#"}'))
  const { error } = await feed(stream, 3)
  assert.is(error, undefined)
})

test('passes a topic of exactly the maximum depth', async () => {
  const { error } = await feed(publish('a/b/c/d/e/f/g/h'), 2)
  assert.is(error, undefined)
})

test.run()
