import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { FailureLimit } from '../../api/failure-limit.ts'
import { startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('enrollment guessing')
let t: TestVigil

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await t.close()
})

test('slows down an address after 20 wrong codes, and says when to retry', async () => {
  const site = await t.site()
  const attempt = (code: string) =>
    t.api('/api/enroll', {
      method: 'POST',
      json: { slc: site.slc, enrollmentCode: code, serverName: 'Recorder', acceptedBy: 'guesser' },
    })

  for (let i = 0; i < 20; i++) assert.is((await attempt(`WRONG-${i}`)).status, 403)
  const limited = await attempt(site.enrollmentCode)
  assert.is(limited.status, 429, 'even the right code waits once the address is limited')
  assert.is(((await limited.json()) as { error: { code: string } }).error.code, 'too-many-requests')
  assert.ok(Number(limited.headers.get('retry-after')) > 0)

  t.scheduler.advanceBy(10 * 60_000)
  assert.is((await attempt(site.enrollmentCode)).status, 201, 'the window has passed')
})

test('never limits successful enrollments', () => {
  let now = 0
  const limit = new FailureLimit(() => now, { maxFailures: 2, windowMs: 1000, maxAddresses: 2 })
  limit.recordFailure('a')
  assert.is(limit.retryAfterSeconds('a'), 0)
  limit.recordFailure('a')
  assert.is(limit.retryAfterSeconds('a'), 1)
  assert.is(limit.retryAfterSeconds('b'), 0, 'another address is not affected')

  limit.recordFailure('b')
  limit.recordFailure('c')
  assert.is(limit.retryAfterSeconds('a'), 0, 'a bounded table forgets the oldest address first')
  now = 5000
  assert.is(limit.retryAfterSeconds('b'), 0)
})

test.run()
