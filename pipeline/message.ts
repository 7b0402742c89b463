/** What flows between the stages of the pipeline. */
import type { TopicAddress } from '../core/topics.ts'
import type { ServerRecord } from '../store/registry.ts'
import type { StatusReport } from './schema.ts'

/** A publish the broker has authorised, stamped on arrival. */
export interface BrokerMessage {
  /** Process-unique id for following one message through the logs. */
  msgId: string
  topic: string
  payload: Buffer
  clientId: string
  receivedAt: number
}

export type Decoded =
  | (BrokerMessage & { address: TopicAddress; kind: 'heartbeat' })
  | (BrokerMessage & {
      address: TopicAddress
      kind: 'status'
      envelope: import('../core/envelope.ts').Envelope
    })

export type Decrypted =
  | (BrokerMessage & { address: TopicAddress; kind: 'heartbeat'; server: ServerRecord })
  | (BrokerMessage & {
      address: TopicAddress
      kind: 'status'
      server: ServerRecord
      plaintext: Buffer
    })

export type Validated =
  | (BrokerMessage & { address: TopicAddress; kind: 'heartbeat'; server: ServerRecord })
  | (BrokerMessage & {
      address: TopicAddress
      kind: 'status'
      server: ServerRecord
      report: StatusReport
    })
