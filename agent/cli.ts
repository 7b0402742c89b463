/**
 * The recording-server side on the command line. Usage: `npm run agent -- help`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { conditionsSchema } from '../pipeline/schema.ts'
import { Agent, type AgentLinkEvent, type ReportedCondition } from './agent.ts'
import {
  AgentApiError,
  enroll,
  retireKey,
  rotateKey,
  setAcceptance,
  type AgentCredentials,
} from './credentials.ts'

const usage = `vigil agent

  enroll --api URL --slc SLC --code CODE --name NAME --accepted-by WHO [--out FILE]
      accept the service for this site and save this server's credentials
      (default file: ./vigil-agent.json, readable by its owner only)
  run [--credentials FILE] [--mqtt URL] [--conditions JSON]
      send heartbeats and status; --conditions gives the active situations,
      e.g. '[{"kind":"drive-full","subject":"D:"}]'. While the broker cannot be
      reached it retries with backoff and says so; it prints when connected
  withdraw --api URL --by WHO [--credentials FILE]
  accept   --api URL --by WHO [--credentials FILE]
      withdraw or renew the site's acceptance of the service
  rotate-key --api URL [--credentials FILE]
      get a new encryption key (new key id) and save it
  retire-key --api URL --kid KEYID [--credentials FILE]
      retire an older key: statuses sealed with it are refused from then on
`

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    api: { type: 'string' },
    slc: { type: 'string' },
    code: { type: 'string' },
    name: { type: 'string' },
    'accepted-by': { type: 'string' },
    by: { type: 'string' },
    out: { type: 'string' },
    credentials: { type: 'string' },
    mqtt: { type: 'string' },
    conditions: { type: 'string' },
    kid: { type: 'string' },
  },
})

const file = values.credentials ?? values.out ?? './vigil-agent.json'

function need(name: keyof typeof values): string {
  const value = values[name]
  if (!value) return refuse(`missing --${name}\n\n${usage}`)
  return value
}

function refuse(message: string): never {
  console.error(message)
  process.exit(2)
}

/** Checked here with Vigil's own schema, so a typo is an error now, not a refusal later. */
function parseConditions(json: string | undefined): ReportedCondition[] {
  if (json === undefined) return []
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return refuse('--conditions must be JSON, e.g. \'[{"kind":"drive-full","subject":"D:"}]\'')
  }
  const result = conditionsSchema.safeParse(value)
  if (!result.success) {
    const issue = result.error.issues[0]
    const where = (issue?.path ?? [])
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
      .join('')
    return refuse(`--conditions${where}: ${issue?.message ?? 'invalid'}`)
  }
  return result.data
}

function printLinkEvents(credentials: AgentCredentials) {
  return function printLinkEvent(event: AgentLinkEvent) {
    if (event.type === 'connected') {
      const again = event.connections > 1 ? ' again' : ''
      console.log(`connected${again}; heartbeat every ${credentials.heartbeatIntervalMs} ms`)
      return
    }
    const why = event.error?.message ?? 'connection closed'
    console.error(`not connected (${why}); retrying in ${(event.retryInMs / 1000).toFixed(1)} s`)
  }
}

function load(): AgentCredentials {
  return JSON.parse(readFileSync(file, 'utf8')) as AgentCredentials
}

async function main(command: string | undefined) {
  switch (command) {
    case 'enroll': {
      const credentials = await enroll(need('api'), {
        slc: need('slc'),
        enrollmentCode: need('code'),
        serverName: need('name'),
        acceptedBy: need('accepted-by'),
      })
      writeFileSync(file, JSON.stringify(credentials, null, 2), { mode: 0o600 })
      console.log(`enrolled as ${credentials.serverId}; credentials saved to ${file}`)
      return
    }
    case 'run': {
      const conditions = parseConditions(values.conditions)
      const credentials = load()
      const agent = new Agent(credentials, {
        mqttUrl: values.mqtt,
        onLinkEvent: printLinkEvents(credentials),
      })
      let stopping = false
      const stop = () => {
        stopping = true
        void agent.stop().finally(() => process.exit(0))
      }
      process.once('SIGINT', stop)
      process.once('SIGTERM', stop)

      // Not connected yet, so this only records them: the status sent on connect carries them.
      await agent.setConditions(conditions)
      // A recording server may boot while Vigil restarts: wait for the broker, do not exit.
      await agent.start({ untilConnected: true }).catch((error: unknown) => {
        if (!stopping) throw error
      })
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
    case 'retire-key': {
      const credentials = load()
      const keyId = need('kid')
      if (keyId === credentials.keyId) {
        refuse(`${keyId} is the key ${file} seals with; run rotate-key first, then retire ${keyId}`)
      }
      const left = await retireKey(need('api'), credentials, keyId)
      console.log(`key ${keyId} retired; statuses sealed with it are refused from now on`)
      console.log(`keys still valid: ${left.join(', ')}`)
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
