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
  /** Messages one server may send at once, and per second after that. */
  messageBurst: number
  messagesPerSecond: number
  /** Events older than this are pruned from the embedded history. */
  historyRetentionDays: number
  /** Store writes are batched: at most this many events per transaction... */
  writeBatchSize: number
  /** ...and at most this long between a change and its write. */
  writeFlushMs: number
  logLevel: LogLevel
  /**
   * InfluxDB as the history store, over the v1 HTTP API (/write, /query) that
   * 1.x serves natively and 2.x/3.x for compatibility. Unset keeps the
   * embedded history. See the README, "History in InfluxDB, and Grafana".
   */
  influxUrl?: string
  /** Fleet-wide database; each reseller's is `<influxDatabase>_<reseller id>`. */
  influxDatabase: string
  /** 1.x user and password; an admin when Vigil creates databases and users. */
  influxUsername?: string
  influxPassword?: string
  /** 2.x/3.x API token, sent as `Authorization: Token <token>`. */
  influxToken?: string
  /**
   * `influxql`: Vigil creates databases and read-only users (1.x);
   * `external`: the operator does.
   */
  influxProvisioning: 'influxql' | 'external'
  /** Query values travel as bound parameters (`params=`); false inlines them as quoted literals. */
  influxBindParams: boolean
  /** Longest wait between write retries while InfluxDB is unreachable or failing. */
  influxRetryMaxMs: number
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
  messageBurst: 100,
  messagesPerSecond: 5,
  historyRetentionDays: 400,
  writeBatchSize: 500,
  writeFlushMs: 200,
  logLevel: 'info',
  influxDatabase: 'vigil',
  influxProvisioning: 'influxql',
  influxBindParams: true,
  influxRetryMaxMs: 30_000,
}

/** The environment variables, as documented in the README's table. */
export function optionsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<VigilOptions> {
  const options: Partial<VigilOptions> = {}
  const text = (name: string) =>
    env[name] === undefined || env[name] === '' ? undefined : env[name]
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
    if (!Number.isInteger(value) || value <= 0)
      throw new Error(`${name} must be a positive integer`)
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
  assign(options, 'historyRetentionDays', positive('VIGIL_HISTORY_RETENTION_DAYS'))

  Object.assign(options, influxFromEnv(text, positive))

  const level = text('VIGIL_LOG_LEVEL')
  if (level !== undefined) {
    if (!isLogLevel(level)) throw new Error('VIGIL_LOG_LEVEL must be debug, info, warn or error')
    options.logLevel = level
  }
  return options
}

/** The VIGIL_INFLUX_* variables (README: History in InfluxDB, and Grafana). */
function influxFromEnv(
  text: (name: string) => string | undefined,
  positive: (name: string) => number | undefined,
): Partial<VigilOptions> {
  const options: Partial<VigilOptions> = {}
  const url = text('VIGIL_INFLUX_URL')
  if (url !== undefined && !/^https?:\/\/[^/]/.test(url)) {
    throw new Error('VIGIL_INFLUX_URL must be an http:// or https:// URL')
  }
  assign(options, 'influxUrl', url)
  assign(options, 'influxDatabase', text('VIGIL_INFLUX_DATABASE'))
  assign(options, 'influxUsername', text('VIGIL_INFLUX_USERNAME'))
  assign(options, 'influxPassword', text('VIGIL_INFLUX_PASSWORD'))
  assign(options, 'influxToken', text('VIGIL_INFLUX_TOKEN'))
  assign(options, 'influxRetryMaxMs', positive('VIGIL_INFLUX_RETRY_MAX_MS'))

  const provisioning = text('VIGIL_INFLUX_PROVISIONING')
  if (provisioning !== undefined && provisioning !== 'influxql' && provisioning !== 'external') {
    throw new Error('VIGIL_INFLUX_PROVISIONING must be influxql or external')
  }
  assign(options, 'influxProvisioning', provisioning)

  const bind = text('VIGIL_INFLUX_BIND_PARAMS')
  if (bind !== undefined && bind !== 'true' && bind !== 'false') {
    throw new Error('VIGIL_INFLUX_BIND_PARAMS must be true or false')
  }
  assign(options, 'influxBindParams', bind === undefined ? undefined : bind === 'true')
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
