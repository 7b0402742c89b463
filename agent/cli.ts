/**
 * The recording-server side on the command line. Usage: `npm run agent -- help`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { Agent, type ReportedCondition } from './agent.ts'
import { AgentApiError, enroll, rotateKey, setAcceptance, type AgentCredentials } from './credentials.ts'

const usage = `vigil agent

  enroll --api URL --slc SLC --code CODE --name NAME --accepted-by WHO [--out FILE]
      accept the service for this site and save this server's credentials
      (default file: ./vigil-agent.json, readable by its owner only)
  run [--credentials FILE] [--mqtt URL] [--conditions JSON]
      send heartbeats and status; --conditions gives the active situations,
      e.g. '[{"kind":"drive-full","subject":"D:"}]'
  withdraw --api URL --by WHO [--credentials FILE]
  accept   --api URL --by WHO [--credentials FILE]
      withdraw or renew the site's acceptance of the service
  rotate-key --api URL [--credentials FILE]
      get a new encryption key (new key id) and save it
`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    api: { type: 'string' }, slc: { type: 'string' }, code: { type: 'string' },
    name: { type: 'string' }, 'accepted-by': { type: 'string' }, by: { type: 'string' },
    out: { type: 'string' }, credentials: { type: 'string' }, mqtt: { type: 'string' },
    conditions: { type: 'string' },
  },
})

const file = values.credentials ?? values.out ?? './vigil-agent.json'

function need(name: keyof typeof values): string {
  const value = values[name]
  if (!value) {
    console.error(`missing --${name}\n\n${usage}`)
    process.exit(2)
  }
  return value
}

function load(): AgentCredentials {
  return JSON.parse(readFileSync(file, 'utf8')) as AgentCredentials
}

async function main(command: string | undefined) {
  switch (command) {
    case 'enroll': {
      const credentials = await enroll(need('api'), { slc: need('slc'), enrollmentCode: need('code'),
        serverName: need('name'), acceptedBy: need('accepted-by') })
      writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 })
      console.log(`enrolled as ${credentials.serverId}; credentials saved to ${file}`)
      return
    }
    case 'run': {
      const agent = new Agent(load(), { mqttUrl: values.mqtt })
      const conditions = values.conditions ? (JSON.parse(values.conditions) as ReportedCondition[]) : []
      await agent.start()
      await agent.setConditions(conditions)
      console.log(`connected; heartbeat every ${agent.credentials.heartbeatIntervalMs} ms`)
      process.once('SIGINT', () => void agent.stop().then(() => process.exit(0)))
      process.once('SIGTERM', () => void agent.stop().then(() => process.exit(0)))
      return
    }
    case 'withdraw':
    case 'accept': {
      await setAcceptance(need('api'), load(), command === 'accept', need('by'))
      console.log(command === 'accept' ? 'service accepted' : 'service withdrawn')
      return
    }
    case 'rotate-key': {
      const rotated = await rotateKey(need('api'), load())
      writeFileSync(file, JSON.stringify(rotated, null, 2), { mode: 0o600 })
      console.log(`now sealing with key ${rotated.keyId}`)
      return
    }
    default:
      console.log(usage)
      process.exit(command === 'help' || !command ? 0 : 2)
  }
}

try {
  await main(positionals[0])
} catch (error) {
  const message = error instanceof AgentApiError ? `${error.code}: ${error.message}` : String(error)
  console.error(`error: ${message}`)
  process.exit(1)
}
