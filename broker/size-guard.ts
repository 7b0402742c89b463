/**
 * A packet size limit in front of Aedes, which has none of its own: the MQTT
 * fixed header announces each packet's remaining length (MQTT 3.1.1, 2.2.3),
 * so an oversized packet is refused before its body is buffered.
 *
 * It also reads each PUBLISH topic (3.3.2.1): Aedes closes the link on an
 * empty topic, a wildcard (3.3.2-2) or too many levels before any auth hook
 * runs, so without this check those refusals would go uncounted.
 */
import { Transform, type TransformCallback } from 'node:stream'

export class PacketTooLarge extends Error {
  override readonly name = 'PacketTooLarge'
  readonly code = 'packet.too-large'

  /** `bytes` is null when the length field itself is malformed (more than 4 bytes). */
  constructor(
    readonly bytes: number | null,
    readonly limit: number,
  ) {
    super(
      bytes === null
        ? 'MQTT remaining length longer than 4 bytes (MQTT 3.1.1, 2.2.3)'
        : `MQTT packet of ${bytes} bytes exceeds the limit of ${limit}`,
    )
  }
}

/** A PUBLISH topic that no server can own: empty, with a wildcard, or too deep. */
export class ForbiddenTopic extends Error {
  override readonly name = 'ForbiddenTopic'
  readonly code = 'publish.foreign-topic'

  constructor(readonly topic: string) {
    super(`PUBLISH to "${topic}": topics must be non-empty, without + or #, and shallow`)
  }
}

export class PacketSizeGuard extends Transform {
  readonly #limit: number
  readonly #maxTopicLevels: number
  /** Start of a PUBLISH body, kept until its topic is complete. */
  #topic: number[] | undefined
  /** Bytes of the current packet still to pass before the next header starts. */
  #remaining = 0
  /** A fixed header split across chunks. */
  #header: number[] = []

  constructor(limitBytes: number, maxTopicLevels: number) {
    super()
    this.#limit = limitBytes
    this.#maxTopicLevels = maxTopicLevels
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    let offset = 0
    // Where the packet being read began in this chunk: what lies before it is
    // whole, valid packets, which still go through when this one is refused.
    let packetStart = 0
    const refuse = (error: Error) => this.#refuse(chunk.subarray(0, packetStart), error, done)

    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset)
        const forbidden = this.#topic && this.#readTopic(chunk.subarray(offset, offset + take))
        if (forbidden) return refuse(forbidden)
        this.#remaining -= take
        offset += take
        continue
      }

      if (this.#header.length === 0) packetStart = offset
      this.#header.push(chunk[offset++]!)
      const length = readRemainingLength(this.#header)
      if (length === 'malformed') return refuse(new PacketTooLarge(null, this.#limit))
      if (length === undefined) continue
      if (length > this.#limit) return refuse(new PacketTooLarge(length, this.#limit))
      this.#remaining = length
      this.#topic = this.#header[0]! >> 4 === 3 ? [] : undefined
      this.#header = []
    }
    done(null, chunk)
  }

  /** Passes on the valid part, then fails once Aedes has had a turn to read it. */
  #refuse(valid: Buffer, error: Error, done: TransformCallback) {
    if (valid.length > 0) this.push(valid)
    setImmediate(() => done(error))
  }

  /** Collects the topic: a 2-byte length, then UTF-8 (MQTT 3.1.1, 1.5.3). */
  #readTopic(bytes: Buffer): ForbiddenTopic | undefined {
    const topic = this.#topic!
    for (const byte of bytes) {
      topic.push(byte)
      if (topic.length < 2 || topic.length < 2 + ((topic[0]! << 8) | topic[1]!)) continue
      this.#topic = undefined
      const text = Buffer.from(topic.slice(2)).toString('utf8')
      const levels = text.split('/').length
      if (text === '' || /[+#]/.test(text) || levels > this.#maxTopicLevels) {
        return new ForbiddenTopic(text.slice(0, 200))
      }
      return undefined
    }
    return undefined
  }
}

/** Byte 0 is the packet type; then 1-4 bytes of variable-length integer. */
function readRemainingLength(header: number[]): number | undefined | 'malformed' {
  if (header.length < 2) return undefined
  let value = 0
  let multiplier = 1
  for (let i = 1; i < header.length; i++) {
    const byte = header[i]!
    value += (byte & 0x7f) * multiplier
    if ((byte & 0x80) === 0) return value
    multiplier *= 128
    if (i === 4) return 'malformed'
  }
  return undefined
}
