import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { reportedKinds } from '../../core/conditions.ts'
import type { ConditionCleared, ConditionRaised } from '../../core/events.ts'
import { pipelineBench } from '../helpers/pipeline.ts'

const test = suite('error situations')

for (const kind of reportedKinds) {
  test(`raises and clears "${kind}" from status snapshots`, () => {
    const p = pipelineBench()
    const server = p.enrollServer()
    p.status(server, [{ kind, subject: 'Subject 1', details: { note: 'first' } }])
    const [raised] = p.of('conditionRaised') as ConditionRaised[]
    assert.ok(raised)
    assert.equal(
      [raised.kind, raised.subject, raised.details],
      [kind, 'Subject 1', { note: 'first' }],
    )

    p.scheduler.advanceBy(90_000)
    p.status(server, [])
    const [cleared] = p.of('conditionCleared') as ConditionCleared[]
    assert.ok(cleared)
    assert.equal([cleared.kind, cleared.subject, cleared.raisedAt], [kind, 'Subject 1', raised.at])
    p.close()
  })
}

test('raises the derived "server-unavailable" from heartbeats, never from a status', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.status(server, [{ kind: 'server-unavailable' as never }])
  assert.is(p.of('conditionRaised').length, 0)
  assert.is(p.metrics.value('vigil_refusals_total', { code: 'validate.schema' }), 1)
  p.close()
})

test('keeps one condition per subject and raises each subject once', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  const cameras = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      kind: 'camera-unreachable' as const,
      subject: `Camera ${i + 1}`,
    }))
  p.status(server, cameras(2))
  p.status(server, cameras(3))
  p.status(server, cameras(3))
  assert.equal(
    p.of('conditionRaised').map((e) => (e as ConditionRaised).subject),
    ['Camera 1', 'Camera 2', 'Camera 3'],
  )

  p.status(server, cameras(1))
  assert.equal(
    p.of('conditionCleared').map((e) => (e as ConditionCleared).subject),
    ['Camera 2', 'Camera 3'],
  )
  p.close()
})

test('a status ends an outage as well as a heartbeat does', () => {
  const p = pipelineBench()
  const server = p.enrollServer()
  p.status(server, [{ kind: 'drive-full', subject: 'D:' }])
  p.scheduler.advanceBy(4 * 60_000)
  p.status(server, [{ kind: 'drive-full', subject: 'D:' }])
  assert.is(p.of('serverUnavailable').length, 1)
  assert.is(p.of('serverAvailable').length, 1)
  assert.is(p.of('conditionRaised').length, 1, 'the drive stayed full: no second raise')
  p.close()
})

test.run()
