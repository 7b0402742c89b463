import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { unsafeTextMessage } from '../../core/text.ts'
import { isRefusal, type Refusal } from '../../core/refusals.ts'
import type { Decrypted } from '../../pipeline/message.ts'
import type { StatusInput } from '../../pipeline/schema.ts'
import { validate } from '../../pipeline/validate.ts'

const test = suite('pipeline: status schema')

/** NUL, ESC, NEL (C1), RLO and RLI (bidi), zero-width space, BOM. */
const unsafe = ['\u0000', '\u001b', '\u0085', '\u202e', '\u2066', '\u200b', '\ufeff']

function message(body: Partial<StatusInput>): Decrypted {
  const status: StatusInput = { seq: 1, sentAt: 1, conditions: [], figures: {}, ...body }
  return {
    msgId: 't1',
    topic: 'vigil/v1/SLC-1/s-1/status',
    clientId: 's-1',
    receivedAt: 1,
    address: { slc: 'SLC-1', serverId: 's-1', kind: 'status' },
    kind: 'status',
    server: {
      id: 's-1',
      slc: 'SLC-1',
      name: 'R1',
      resellerId: 'r-1',
      heartbeatIntervalMs: 60_000,
      accepted: true,
      subscriptionExpiresAt: null,
    },
    payload: Buffer.alloc(0),
    plaintext: Buffer.from(JSON.stringify(status)),
  }
}

/** The refusal validate() throws, or undefined when it takes the status. */
function refusalOf(body: Partial<StatusInput>): Refusal | undefined {
  try {
    validate(message(body))
    return undefined
  } catch (error) {
    if (isRefusal(error)) return error
    throw error
  }
}

function refused(body: Partial<StatusInput>, what: string) {
  const refusal = refusalOf(body)
  assert.is(refusal?.code, 'validate.schema', what)
  return refusal!.detail as { path: string; why: string }
}

test('refuses control, bidi and zero-width characters in subjects, detail names and values', () => {
  for (const c of unsafe) {
    const name = JSON.stringify(c)
    const inSubject = refused({ conditions: [{ kind: 'drive-full', subject: `D:${c}` }] }, name)
    assert.equal(inSubject, { path: 'conditions.0.subject', why: unsafeTextMessage })
    const key = { [`used${c}`]: 1 }
    const inKey = refused({ conditions: [{ kind: 'drive-full', details: key }] }, name)
    assert.is(inKey.path, 'conditions.0.details')
    assert.match(inKey.why, unsafeTextMessage)
    const value = { note: `a${c}b` }
    const inValue = refused({ conditions: [{ kind: 'drive-full', details: value }] }, name)
    assert.equal(inValue, { path: 'conditions.0.details.note', why: unsafeTextMessage })
  }
})

test('takes letters of any script, spaces and punctuation', () => {
  const conditions = [
    {
      kind: 'camera-unreachable' as const,
      subject: 'Kamera 3 – Eingang Süd',
      details: { Ort: 'Tor „Nord“', カメラ: '入口 #2', ip: '10.0.0.7' },
    },
    { kind: 'drive-full' as const, subject: 'D:\\Archiv (Ålesund) 📼' },
  ]
  assert.is(refusalOf({ conditions }), undefined)
})

test('takes detail messages over several lines, with tabs, exactly as sent', () => {
  const text = 'archive failed\n\tcause: I/O error\r\nretry at 02:00'
  assert.is(
    refusalOf({
      conditions: [
        { kind: 'archive-fatal-error', subject: 'Archive 1', details: { message: text } },
      ],
    }),
    undefined,
  )
  assert.ok(
    refusalOf({ conditions: [{ kind: 'archive-fatal-error', subject: 'line\nbreak' }] }),
    'a subject stays one line',
  )
})

test('refuses a status that lists the same (kind, subject) twice, and says which', () => {
  const drive = { kind: 'drive-full' as const, subject: 'D:' }
  const twice = refused(
    { conditions: [drive, { ...drive, kind: 'camera-unreachable' }, drive] },
    'twice',
  )
  assert.is(twice.path, 'conditions.2')
  assert.match(twice.why, 'drive-full "D:" is listed twice')

  // An absent subject is the empty one: listing the kind twice without one is a repeat too.
  refused(
    { conditions: [{ kind: 'license-shortage' }, { kind: 'license-shortage', subject: '' }] },
    'twice without subject',
  )
  assert.is(
    refusalOf({
      conditions: [
        { kind: 'drive-full', subject: 'D:' },
        { kind: 'drive-full', subject: 'E:' },
      ],
    }),
    undefined,
    'two drives are two situations',
  )
})

test('refuses more cameras online than installed', () => {
  const detail = refused({ figures: { cameras: { online: 9, total: 8 } } }, 'cameras')
  const why = 'more cameras online than installed'
  assert.equal(detail, { path: 'figures.cameras.online', why })
  assert.is(refusalOf({ figures: { cameras: { online: 8, total: 8 } } }), undefined)
})

test('takes at most 256 situations in one status', () => {
  const cameras = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      kind: 'camera-unreachable' as const,
      subject: `Camera ${i + 1}`,
    }))
  assert.is(refusalOf({ conditions: cameras(256) }), undefined)
  assert.is(refused({ conditions: cameras(257) }, '257').path, 'conditions')
})

test.run()
