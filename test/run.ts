/**
 * Runs every `*.test.ts` under test/ with uvu in one process, fails the run on
 * an unhandled rejection (no floating promises), and exits when uvu is done
 * even if a test leaked a handle. An argument narrows the files by pattern.
 */
import { parse } from 'uvu/parse'
import { run } from 'uvu/run'

process.on('unhandledRejection', (reason) => {
  console.error('unhandled rejection:', reason)
  process.exitCode = 1
})

const pattern = process.argv[2] ?? '\\.test\\.tsx?$'
const context = await parse('test', pattern, {})
await run(context.suites, { bail: false })
process.exit(process.exitCode ?? 0)
