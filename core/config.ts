/**
 * Every setting of the service: one options type, one defaults constant, one
 * reader of the environment. Each default lives here and only here.
 */
import { isLogLevel, type LogLevel } from './logger.ts'

export interface VigilOptions {
  /** Folder for the SQLite database and the development CA. */
  dataDir: string
  /** Address both listeners bind to. */
  host: string
  httpPort: number
  /** MQTT over TLS. */
  mqttPort: number
  /** Plain MQTT for local development only; 0 keeps it off. */
  mqttPlainPort: number
  /** PEM files; when cert and key are unset a development CA is made in dataDir. */
  tlsCertFile?: string
  tlsKeyFile?: string
  tlsCaFile?: string
  /** Where agents reach the broker; handed out at enrollment. */
  publicMqttUrl?: string
  /** Largest MQTT packet accepted, in bytes; bigger ones close the connection. */
  maxPacketBytes: number
  /** Heartbeat interval handed to newly enrolled servers. */
  heartbeatIntervalMs: number
  /** How far a status's send time may be from its receive time. */
  maxClockSkewMs: number
  /** Resolution of the liveness timing wheel. */
  livenessTickMs: number
  /** Store writes are batched: at most this many events per transaction... */
  writeBatchSize: number
  /** ...and at most this long between a change and its write. */
  writeFlushMs: number
  logLevel: LogLevel
}

export const defaultOptions: VigilOptions = {
  dataDir: './data',
  host: '0.0.0.0',
  httpPort: 8080,
  mqttPort: 8883,
  mqttPlainPort: 0,
  maxPacketBytes: 64 * 1024,
  heartbeatIntervalMs: 60_000,
  maxClockSkewMs: 10 * 60_000,
  livenessTickMs: 250,
  writeBatchSize: 500,
  writeFlushMs: 200,
  logLevel: 'info',
}

/** The environment variables, as documented in the README's table. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<VigilOptions> {
  const options: Partial<VigilOptions> = {}
  const text = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name])
  const port = (name: string) => {
    const raw = text(name)
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`${name} must be a port number from 0 to 65535, got "${raw}"`)
    }
    return value
  }
  const positive = (name: string) => {
    const raw = text(name)
    if (raw === undefined) return undefined
    const value = Number(raw)
    if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`)
    return value
  }

  assign(options, 'dataDir', text('VIGIL_DATA_DIR'))
  assign(options, 'host', text('VIGIL_HOST'))
  assign(options, 'httpPort', port('VIGIL_HTTP_PORT'))
  assign(options, 'mqttPort', port('VIGIL_MQTT_PORT'))
  assign(options, 'mqttPlainPort', port('VIGIL_MQTT_PLAIN_PORT'))
  assign(options, 'tlsCertFile', text('VIGIL_TLS_CERT'))
  assign(options, 'tlsKeyFile', text('VIGIL_TLS_KEY'))
  assign(options, 'tlsCaFile', text('VIGIL_TLS_CA'))
  assign(options, 'publicMqttUrl', text('VIGIL_PUBLIC_MQTT_URL'))
  assign(options, 'maxPacketBytes', positive('VIGIL_MAX_PACKET_BYTES'))
  assign(options, 'heartbeatIntervalMs', positive('VIGIL_HEARTBEAT_INTERVAL_MS'))

  const level = text('VIGIL_LOG_LEVEL')
  if (level !== undefined) {
    if (!isLogLevel(level)) throw new Error('VIGIL_LOG_LEVEL must be debug, info, warn or error')
    options.logLevel = level
  }
  return options
}

export function resolveOptions(...layers: Array<Partial<VigilOptions>>): VigilOptions {
  return Object.assign({}, defaultOptions, ...layers)
}

function assign<K extends keyof VigilOptions>(
  target: Partial<VigilOptions>,
  key: K,
  value: VigilOptions[K] | undefined,
) {
  if (value !== undefined) target[key] = value
}
