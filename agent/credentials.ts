/** What a recording server receives at enrollment and keeps to run. */
export interface AgentCredentials {
  slc: string
  serverId: string
  username: string
  password: string
  keyId: string
  /** AES-256 key, base64 */
  key: string
  heartbeatIntervalMs: number
  mqttUrl: string
  /** PEM of the CA that signed the broker's certificate */
  ca: string
  topics: { heartbeat: string; status: string; command: string }
}

export interface EnrollRequest {
  slc: string
  enrollmentCode: string
  serverName: string
  acceptedBy: string
}

export class AgentApiError extends Error {
  override readonly name = 'AgentApiError'

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

/** Accepts the service for the site and receives this server's credentials. */
export async function enroll(apiUrl: string, request: EnrollRequest): Promise<AgentCredentials> {
  const response = await fetch(new URL('/api/enroll', apiUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  })
  return (await readJson(response)) as AgentCredentials
}

/** Withdraws (or renews) the site's acceptance; afterwards its servers are refused. */
export async function setAcceptance(
  apiUrl: string,
  credentials: Pick<AgentCredentials, 'username' | 'password'>,
  accepted: boolean,
  by: string,
): Promise<void> {
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
  const response = await fetch(new URL('/api/site/acceptance', apiUrl), {
    method: 'PUT',
    headers: { 'content-type': 'application/json', authorization: `Basic ${basic}` },
    body: JSON.stringify({ accepted, by }),
  })
  await readJson(response)
}

/** A new key for this server; Vigil keeps accepting the old one, so rotation loses nothing. */
export async function rotateKey(
  apiUrl: string,
  credentials: AgentCredentials,
): Promise<AgentCredentials> {
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
  const response = await fetch(new URL('/api/site/keys', apiUrl), {
    method: 'POST',
    headers: { authorization: `Basic ${basic}` },
  })
  const { keyId, key } = (await readJson(response)) as { keyId: string; key: string }
  return { ...credentials, keyId, key }
}

/**
 * Retires one of this server's keys once nothing sealed with it can still be
 * in flight; Vigil refuses to retire the last one. Answers the key ids left.
 */
export async function retireKey(
  apiUrl: string,
  credentials: Pick<AgentCredentials, 'username' | 'password'>,
  keyId: string,
): Promise<string[]> {
  const basic = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')
  const response = await fetch(new URL(`/api/site/keys/${encodeURIComponent(keyId)}`, apiUrl), {
    method: 'DELETE',
    headers: { authorization: `Basic ${basic}` },
  })
  const { keyIds } = (await readJson(response)) as { keyIds: string[] }
  return keyIds
}

async function readJson(response: Response): Promise<unknown> {
  const body = (await response.json().catch(() => ({}))) as {
    error?: { code: string; message: string }
  }
  if (!response.ok) {
    throw new AgentApiError(
      response.status,
      body.error?.code ?? 'http',
      body.error?.message ?? `HTTP ${response.status}`,
    )
  }
  return body
}
