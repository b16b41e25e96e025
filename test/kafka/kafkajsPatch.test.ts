/**
 * patches/kafkajs@2.2.4.patch rewrites three hot spots of kafkajs's producer; each must give exactly
 * what the original gave. `encodeUncompressed` (one-buffer record batches) is compared with kafkajs's
 * own `Record` + `RecordBatch`, which are still in the package (compressed batches use them);
 * murmur2 (int32 instead of Long) with Kafka's test vector and a BigInt reference; CRC-32C
 * (slicing-by-8) with the embedded broker's implementation.
 */
import { createRequire } from "node:module"
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { crc32c } from "../../src/kafka/embedded/protocol/Crc32c.ts"

const require = createRequire(import.meta.url)
const kafkajsSrc = (path: string): unknown => require(`kafkajs/src/${path}`)

interface KafkajsMessage {
  readonly key: string | Buffer | null
  readonly value: string | Buffer | null
  readonly headers?: Record<string, string | Buffer | Array<string>>
  readonly timestamp?: number
}

type Encoded = { readonly buffer: Buffer }
const Record = kafkajsSrc("protocol/recordBatch/record/v0") as (record: object) => unknown
const { RecordBatch } = kafkajsSrc("protocol/recordBatch/v0") as { RecordBatch: (batch: object) => Promise<Encoded> }
const { encodeUncompressed } = kafkajsSrc("protocol/recordBatch/v0/encodeUncompressed") as {
  encodeUncompressed: (batch: object) => Buffer
}
const Long = kafkajsSrc("utils/long") as { fromNumber: (n: number) => unknown }

const Bytes = Schema.Struct({ text: Schema.String, asBuffer: Schema.Boolean })
const bytesOf = (b: typeof Bytes.Type) => (b.asBuffer ? Buffer.from(b.text, "utf8") : b.text)

const Message = Schema.Struct({
  key: Schema.NullOr(Bytes),
  value: Schema.NullOr(Bytes),
  headers: Schema.optional(Schema.Record(Schema.String, Schema.Union([Bytes, Schema.Array(Schema.String)]))),
  /** Milliseconds before "now"; absent: the message takes the batch's time. */
  age: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 10_000_000_000 })))
})

const Batch = Schema.Struct({
  messages: Schema.NonEmptyArray(Message),
  producerId: Schema.Int.check(Schema.isBetween({ minimum: -1, maximum: 2 ** 40 })),
  producerEpoch: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 32_767 })),
  firstSequence: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 2 ** 31 - 1 })),
  transactional: Schema.Boolean
})

describe("kafkajs patch: encodeUncompressed", () => {
  it.prop(
    "writes the bytes of kafkajs's Record + RecordBatch",
    { batch: Batch },
    async ({ batch }) => {
      const now = 1_763_800_000_000
      const messages: Array<KafkajsMessage> = batch.messages.map((m) => ({
        key: m.key === null ? null : bytesOf(m.key),
        value: m.value === null ? null : bytesOf(m.value),
        ...(m.headers === undefined
          ? {}
          : {
              headers: Object.fromEntries(
                Object.entries(m.headers).map(([k, v]) => [k, "text" in v ? bytesOf(v) : [...v]])
              )
            }),
        ...(m.age === undefined ? {} : { timestamp: now - m.age })
      }))
      // As kafkajs's produce request picks them (including its default, lexicographic sort).
      const stamps = messages.flatMap((m) => (m.timestamp === undefined ? [] : [m.timestamp])).sort()
      const timestamps = stamps.length === 0 ? [now] : stamps
      const firstTimestamp = timestamps[0] ?? now
      const maxTimestamp = timestamps[timestamps.length - 1] ?? now
      const common = {
        firstTimestamp,
        maxTimestamp,
        producerId: Long.fromNumber(batch.producerId),
        producerEpoch: batch.producerEpoch,
        firstSequence: batch.firstSequence,
        transactional: batch.transactional
      }
      const records = messages.map((m, i) =>
        Record({ ...m, offsetDelta: i, timestampDelta: (m.timestamp ?? now) - firstTimestamp })
      )
      const expected = await RecordBatch({ ...common, records, lastOffsetDelta: records.length - 1 })
      const actual = encodeUncompressed({ ...common, messages, dateNow: now })
      assert.strictEqual(actual.toString("hex"), expected.buffer.toString("hex"))
    },
    { arbitrary: { runs: 200 } }
  )
})

const murmur2 = kafkajsSrc("producer/partitioners/default/murmur2") as (key: string | Buffer) => number
const kafkajsCrc32c = kafkajsSrc("protocol/recordBatch/crc32C/crc32C") as (buffer: Buffer) => number

/** Java's `Utils.murmur2`, written independently with BigInt so the patched int32 version has a reference. */
const murmur2Reference = (data: Buffer): number => {
  const mask = 0xffffffffn
  const m = 0x5bd1e995n
  const mul = (a: bigint, b: bigint) => (a * b) & mask
  let h = (0x9747b28cn ^ BigInt(data.length)) & mask
  const length4 = Math.floor(data.length / 4)
  for (let i = 0; i < length4; i++) {
    let k = BigInt(data.readUInt32LE(i * 4))
    k = mul(k, m)
    k ^= k >> 24n
    k = mul(k, m)
    h = mul(h, m) ^ k
  }
  const tail = data.length & ~3
  const rest = data.length % 4
  if (rest >= 3) h ^= BigInt(data[tail + 2] ?? 0) << 16n
  if (rest >= 2) h ^= BigInt(data[tail + 1] ?? 0) << 8n
  if (rest >= 1) h = mul(h ^ BigInt(data[tail] ?? 0), m)
  h ^= h >> 13n
  h = mul(h, m)
  h ^= h >> 15n
  return Number(BigInt.asIntN(32, h))
}

describe("kafkajs patch: murmur2 and CRC-32C", () => {
  it("murmur2 gives the Java client's hash (Kafka's own test vector)", () => {
    assert.strictEqual(murmur2("21"), -973932308)
  })

  it.prop(
    "murmur2 agrees with a BigInt reference on any key",
    { key: Schema.String, raw: Schema.Uint8Array },
    ({ key, raw }) => {
      assert.strictEqual(murmur2(key), murmur2Reference(Buffer.from(key, "utf8")))
      assert.strictEqual(murmur2(Buffer.from(raw)), murmur2Reference(Buffer.from(raw)))
    },
    { arbitrary: { runs: 300 } }
  )

  it.prop(
    "CRC-32C agrees with the broker's own implementation",
    { raw: Schema.Uint8Array },
    ({ raw }) => {
      assert.strictEqual(kafkajsCrc32c(Buffer.from(raw)) >>> 0, crc32c(raw) >>> 0)
    },
    { arbitrary: { runs: 300 } }
  )
})
