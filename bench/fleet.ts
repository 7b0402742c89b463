/**
 * Vigil under a simulated fleet: the service runs as its own process (as
 * `npm start` does) and this process drives N real agents over MQTT/TLS.
 * Prints messages per second and the service's memory.
 *
 *   node --import tsx bench/fleet.ts [servers] [heartbeatMs] [seconds]
 */
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FleetSimulator } from '../agent/simulator.ts'
import { createJsonLogger } from '../core/logger.ts'
import { openDb } from '../store/db.ts'
import { Registry } from '../store/registry.ts'

const servers = Number(process.argv[2] ?? 500)
const heartbeatMs = Number(process.argv[3] ?? 1000)
const seconds = Number(process.argv[4] ?? 30)
const dataDir = mkdtempSync(join(tmpdir(), 'vigil-fleet-'))
const httpPort = 18180
const mqttPort = 18983

const sites = []
{
  const db = openDb(dataDir)
  const registry = new Registry(db)
  for (let r = 0; r < 5; r++) {
    const { reseller } = registry.createReseller(`bench-${r}`)
    for (let i = 0; i < servers / 10; i++) {
      const slc = `SLC-${r}-${i}`
      const { enrollmentCode } = registry.registerInstallation(reseller.id, slc, `Site ${r}/${i}`)
      registry.setSubscription(slc, Date.now() + 86_400_000)
      sites.push({ slc, enrollmentCode, servers: 2 })
    }
  }
  db.close()
}

const service = spawn(process.execPath, ['--import', 'tsx', 'service/main.ts'], {
  env: {
    ...process.env,
    VIGIL_DATA_DIR: dataDir,
    VIGIL_HOST: '127.0.0.1',
    VIGIL_LOG_LEVEL: 'error',
    VIGIL_HTTP_PORT: String(httpPort),
    VIGIL_MQTT_PORT: String(mqttPort),
    VIGIL_HEARTBEAT_INTERVAL_MS: String(heartbeatMs),
  },
  stdio: ['ignore', 'ignore', 'inherit'],
})
const rssMb = () => {
  const status = readFileSync(`/proc/${service.pid}/status`, 'utf8')
  return Math.round(Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024)
}
const received = async () => {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()
  return Number(/^vigil_messages_received_total (\d+)/m.exec(text)?.[1] ?? 0)
}

for (let i = 0; i < 100; i++) {
  if (
    await fetch(`http://127.0.0.1:${httpPort}/healthz`).then(
      (r) => r.ok,
      () => false,
    )
  )
    break
  await new Promise((resolve) => setTimeout(resolve, 200))
}
const idleMb = rssMb()

const fleet = new FleetSimulator({
  apiUrl: `http://127.0.0.1:${httpPort}`,
  mqttUrl: `mqtts://localhost:${mqttPort}`,
  faultEveryMs: 500,
  initialFaultShare: 0.2,
  random: Math.random,
  logger: createJsonLogger({ level: 'error' }),
})
await fleet.enrollAndStart(sites)
console.log(`${fleet.agents.length} agents connected, heartbeat every ${heartbeatMs} ms`)

const start = await received()
const t0 = performance.now()
await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
const rate = ((await received()) - start) / ((performance.now() - t0) / 1000)
console.log(`messages: ${rate.toFixed(0)}/s received by Vigil`)
console.log(
  `service memory (RSS): ${idleMb} MB idle, ${rssMb()} MB with ${fleet.agents.length} ` +
    'connected servers',
)

await fleet.stop()
service.kill('SIGTERM')
process.exit(0)
