/**
 * `npm run demo`: Vigil plus a simulated fleet over real MQTT/TLS, in a fresh
 * data dir. Prints the URLs and one `token <reseller> <token>` line per demo
 * reseller, then a line of traffic figures every ten seconds.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FleetSimulator, type SimulatedSite } from '../agent/simulator.ts'
import { optionsFromEnv } from '../core/config.ts'
import { createJsonLogger } from '../core/logger.ts'
import { startVigil, type Vigil } from './vigil.ts'

const resellers = [
  {
    name: 'northwind',
    customers: [
      'Harbour Logistics',
      'City Library',
      'Lakeside Clinic',
      'Old Town Bakery',
      'Riverside School',
      'Depot North',
      'Museum of Maps',
      'Marina Club',
    ],
  },
  {
    name: 'contoso',
    customers: [
      'Airport Parking',
      'Central Station',
      'Hillside Hotel',
      'Mall West',
      'Stadium Gates',
      'Tram Depot',
    ],
  },
  {
    name: 'fabrikam',
    customers: [
      'Factory Hall 3',
      'Cold Storage',
      'Office Park',
      'Quarry Gate',
      'Wind Farm',
      'Water Works',
      'Recycling Yard',
    ],
  },
]

const env = optionsFromEnv()
const logger = createJsonLogger({
  level: env.logLevel ?? 'warn',
  write: (line) => process.stderr.write(line + '\n'),
})
// Always a data dir of its own, never VIGIL_DATA_DIR: the demo seeds fixed
// reseller names, which a second run would find taken, and its made-up fleet
// has no place in a real registry. Ports, host and log level still apply.
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-demo-'))
process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }))
// Until the fleet runs there is nothing to stop gracefully; exiting still runs
// the 'exit' handler, where a signal's default action would leave the dir behind.
const exitAtOnce = () => process.exit(1)
process.on('SIGINT', exitAtOnce)
process.on('SIGTERM', exitAtOnce)
const vigil = await startVigil({ heartbeatIntervalMs: 5_000, ...env, dataDir }, { logger })

const { sites, tokens, operatorToken } = seed(vigil)
const fleet = new FleetSimulator({
  apiUrl: `http://127.0.0.1:${vigil.httpPort}`,
  mqttUrl: `mqtts://localhost:${vigil.mqttPort}`,
  faultEveryMs: 3_000,
  initialFaultShare: 0.2,
  random: Math.random,
  logger,
})
await fleet.enrollAndStart(sites)

console.log(`Vigil demo: ${fleet.agents.length} recording servers at ${sites.length} sites`)
console.log(`dashboard ${vigil.httpUrl}/`)
console.log(`api       ${vigil.httpUrl}/api/installations   (Authorization: Bearer <token>)`)
console.log(`ca        ${vigil.caFile}`)
for (const [name, token] of tokens) console.log(`token ${name} ${token}`)
console.log(`operator ${operatorToken}`)
console.log(
  `try: curl -H "Authorization: Bearer ${tokens[0]![1]}" ${vigil.httpUrl}/api/installations`,
)

reportTraffic(vigil)

let stopping = false
const stop = async () => {
  // A second signal while stopping means "now": exit, which still removes the dir.
  if (stopping) process.exit(1)
  stopping = true
  try {
    await fleet.stop()
    await vigil.close()
  } finally {
    process.exit(0)
  }
}
process.off('SIGINT', exitAtOnce)
process.off('SIGTERM', exitAtOnce)
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())

function seed(v: Vigil) {
  const sites: SimulatedSite[] = []
  const tokens: Array<[string, string]> = []
  const yearAhead = Date.now() + 365 * 24 * 3600_000
  let n = 0
  for (const r of resellers) {
    const { reseller, token } = v.registry.createReseller(r.name)
    tokens.push([r.name, token])
    for (const customer of r.customers) {
      const slc = `SLC-${String(++n).padStart(4, '0')}-${r.name.slice(0, 3).toUpperCase()}`
      const { enrollmentCode } = v.registry.registerInstallation(reseller.id, slc, customer)
      // One site's subscription has lapsed: its messages are refused and counted.
      v.registry.setSubscription(slc, n === 5 ? Date.now() - 24 * 3600_000 : yearAhead)
      sites.push({ slc, enrollmentCode, servers: 1 + (n % 3) })
    }
  }
  return { sites, tokens, operatorToken: v.registry.createOperatorToken('demo') }
}

function reportTraffic(v: Vigil) {
  let last = v.metrics.value('vigil_messages_received_total')
  setInterval(() => {
    const total = v.metrics.value('vigil_messages_received_total')
    const refusals = v.metrics.entries('vigil_refusals_total').reduce((s, e) => s + e.value, 0)
    const memoryMb = Math.round(process.memoryUsage().rss / 1024 / 1024)
    console.log(
      `traffic: ${((total - last) / 10).toFixed(1)} msg/s, ${total} messages, ` +
        `${refusals} refused, rss ${memoryMb} MB`,
    )
    last = total
  }, 10_000).unref()
}
