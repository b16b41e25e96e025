/**
 * patches/kafkajs@2.2.4.patch encodes uncompressed record batches in one buffer
 * (`encodeUncompressed`). It must write exactly the bytes kafkajs's own `Record` + `RecordBatch`
 * write, which are still in the package (compressed batches use them).
 */
import { createRequire } from "node:module"
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"

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
