import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { AgentCredentials } from '../../agent/credentials.ts'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'
import { mqttPacket, mqttString, rawSession, refusals } from './mqtt-client.ts'

const test = suite('broker: valid packets ahead of a refused one')
let t: TestVigil
let server: AgentCredentials

test.before(async () => {
  t = await startTestVigil({ maxPacketBytes: 1024 })
  const site = await t.site()
  server = await site.enroll()
})
test.after(async () => {
  await t.close()
})

const heartbeats = () => t.vigil.metrics.value('vigil_events_total', { type: 'heartbeatReceived' })
const heartbeat = () => mqttPacket(0x30, mqttString(server.topics.heartbeat))

for (const [name, bad, code] of [
  ['an oversized packet', Buffer.from([0x30, 0xff, 0xff, 0x7f]), 'packet.too-large'],
  ['a wildcard topic', mqttPacket(0x30, mqttString('vigil/#')), 'publish.foreign-topic'],
  ['a malformed length', Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]), 'packet.too-large'],
] as const) {
  test(`keeps a heartbeat sent in the same write as ${name}`, async () => {
    const session = await rawSession(t, server)
    const before = { beats: heartbeats(), refused: refusals(t, code) }
    session.socket.write(Buffer.concat([heartbeat(), bad]))

    await session.closed
    await eventually(() => assert.is(refusals(t, code), before.refused + 1))
    await eventually(() => assert.is(heartbeats(), before.beats + 1, 'the valid heartbeat arrived'))
  })
}

test('counts protocol violations that Aedes ends on its own', async () => {
  const { connect: tlsConnect } = await import('node:tls')
  const cases: Array<[string, Buffer]> = [
    ['PUBLISH before CONNECT', heartbeat()],
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')],
    [
      'a CONNECT with a foreign protocol name',
      mqttPacket(
        0x10,
        Buffer.concat([mqttString('MQXX'), Buffer.from([4, 0x02, 0, 60]), mqttString('x')]),
      ),
    ],
  ]
  for (const [name, bytes] of cases) {
    const before = refusals(t, 'packet.protocol-error')
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: t.vigil.mqttPort,
      servername: 'localhost',
      ca: t.vigil.caPem,
    })
    socket.on('error', () => undefined)
    await new Promise((resolve) => socket.once('secureConnect', resolve))
    socket.write(bytes)
    await new Promise((resolve) => socket.once('close', resolve))
    await eventually(() => assert.is(refusals(t, 'packet.protocol-error'), before + 1, name))
  }
})

test.run()
