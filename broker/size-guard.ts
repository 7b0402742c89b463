/**
 * A packet size limit in front of Aedes, which has none of its own: the MQTT
 * fixed header announces each packet's remaining length (MQTT 3.1.1, 2.2.3),
 * so an oversized packet is refused before its body is buffered.
 */
import { Transform, type TransformCallback } from 'node:stream'

export class PacketTooLarge extends Error {
  override readonly name = 'PacketTooLarge'
  readonly code = 'packet.too-large'

  constructor(readonly bytes: number, readonly limit: number) {
    super(`MQTT packet of ${bytes} bytes exceeds the limit of ${limit}`)
  }
}

export class PacketSizeGuard extends Transform {
  readonly #limit: number
  /** Bytes of the current packet still to pass before the next header starts. */
  #remaining = 0
  /** A fixed header split across chunks. */
  #header: number[] = []

  constructor(limitBytes: number) {
    super()
    this.#limit = limitBytes
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
    let offset = 0
    while (offset < chunk.length) {
      if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - offset)
        this.#remaining -= take
        offset += take
        continue
      }

      this.#header.push(chunk[offset++]!)
      const length = readRemainingLength(this.#header)
      if (length === 'malformed') return done(new PacketTooLarge(Infinity, this.#limit))
      if (length === undefined) continue
      if (length > this.#limit) return done(new PacketTooLarge(length, this.#limit))
      this.#remaining = length
      this.#header = []
    }
    done(null, chunk)
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
