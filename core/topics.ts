/**
 * Topic layout. Every recording server owns exactly three topics:
 *   vigil/v1/<slc>/<serverId>/heartbeat   (publish, empty payload)
 *   vigil/v1/<slc>/<serverId>/status      (publish, encrypted envelope)
 *   vigil/v1/<slc>/<serverId>/command     (subscribe)
 */
export const topicRoot = 'vigil/v1'

export type TopicKind = 'heartbeat' | 'status' | 'command'

export interface TopicAddress {
  slc: string
  serverId: string
  kind: TopicKind
}

// SLCs and server ids never contain MQTT wildcards or separators (MQTT 3.1.1,
// 4.7.1): the registry only accepts this alphabet, so a topic maps to one server.
export const slcPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{2,63}$/
const idPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/

export function topicFor(slc: string, serverId: string, kind: TopicKind): string {
  return `${topicRoot}/${slc}/${serverId}/${kind}`
}

export function parseTopic(topic: string): TopicAddress | undefined {
  const parts = topic.split('/')
  if (parts.length !== 5 || `${parts[0]}/${parts[1]}` !== topicRoot) return undefined
  const [, , slc, serverId, kind] = parts as [string, string, string, string, string]
  if (!slcPattern.test(slc) || !idPattern.test(serverId)) return undefined
  if (kind !== 'heartbeat' && kind !== 'status' && kind !== 'command') return undefined
  return { slc, serverId, kind }
}
