import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { eventually, startTestVigil, type TestVigil } from '../helpers/vigil.ts'

const test = suite('end to end')
let t: TestVigil

test.before(async () => {
  t = await startTestVigil()
})
test.after(async () => {
  await t.close()
})

test('carries a drive-full status from the agent over MQTT/TLS to the reseller API', async () => {
  const site = await t.site({ customer: 'Harbour Storage' })
  const agent = await site.agent(await site.enroll())

  await agent.setConditions([{ kind: 'drive-full', subject: 'D:', details: { usedPercent: 99 } }])

  const item = await eventually(async () => {
    t.vigil.flush()
    const res = await t.api('/api/installations', { token: site.token })
    const body = await res.json() as { items: Array<{ slc: string; problems: unknown[] }> }
    const found = body.items.find((i) => i.slc === site.slc)
    assert.ok(found, 'installation listed as in error')
    return found
  })
  assert.equal(item.problems.length, 1)
  assert.is((item.problems[0] as { kind: string }).kind, 'drive-full')
})

test.run()
