/**
 * patches/kafkajs@2.2.4.patch rewrites four hot spots of kafkajs's producer; each must give exactly
 * what the original gave. `encodeUncompressed` (one-buffer record batches) is compared with kafkajs's
 * own `Record` + `RecordBatch`, which are still in the package (compressed batches use them);
 * murmur2 (int32 instead of Long) with Kafka's test vector and a BigInt reference; CRC-32C
 * (slicing-by-8) with the embedded broker's implementation; the Encoder (a rope that keeps large pieces
 * by reference instead of copying them at every level of a request) with the protocol's bytes written
 * independently here.
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

// ---------------------------------------------------------------------------------------------
// The Encoder as a rope: large pieces are kept by reference, everything else copied; the bytes must be
// exactly the protocol's, whatever the mix, nesting and reads in between.

interface KafkajsEncoder {
  readonly buffer: Buffer
  size(): number
  writeInt8(v: number): KafkajsEncoder
  writeInt16(v: number): KafkajsEncoder
  writeInt32(v: number): KafkajsEncoder
  writeUInt32(v: number): KafkajsEncoder
  writeInt64(v: number): KafkajsEncoder
  writeBoolean(v: boolean): KafkajsEncoder
  writeString(v: string | null): KafkajsEncoder
  writeVarIntString(v: string | null): KafkajsEncoder
  writeBytes(v: string | Buffer | null): KafkajsEncoder
  writeVarIntBytes(v: string | Buffer | null): KafkajsEncoder
  writeBuffer(v: Buffer): KafkajsEncoder
  writeVarInt(v: number): KafkajsEncoder
  writeVarLong(v: number): KafkajsEncoder
  writeEncoder(v: KafkajsEncoder): KafkajsEncoder
  writeEncoderArray(v: ReadonlyArray<KafkajsEncoder>): KafkajsEncoder
}
const Encoder = kafkajsSrc("protocol/encoder") as new (initialSize?: number) => KafkajsEncoder

/** A buffer of `size` bytes with a pattern (sizes around the rope's 2 KiB threshold matter). */
const Blob = Schema.Struct({
  size: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 6_000 })),
  seed: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 255 }))
})
const blob = ({ size, seed }: typeof Blob.Type) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (seed + i * 31) & 255))
const int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

const Leaf = Schema.Union([
  Schema.TaggedStruct("Int8", { v: int(-128, 127) }),
  Schema.TaggedStruct("Int16", { v: int(-32_768, 32_767) }),
  Schema.TaggedStruct("Int32", { v: int(-(2 ** 31), 2 ** 31 - 1) }),
  Schema.TaggedStruct("UInt32", { v: int(0, 2 ** 32 - 1) }),
  Schema.TaggedStruct("Int64", { v: int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) }),
  Schema.TaggedStruct("Boolean", { v: Schema.Boolean }),
  Schema.TaggedStruct("String", { v: Schema.NullOr(Schema.String), repeat: int(1, 400) }),
  Schema.TaggedStruct("VarIntString", { v: Schema.NullOr(Schema.String), repeat: int(1, 400) }),
  Schema.TaggedStruct("Bytes", { v: Schema.NullOr(Blob), asString: Schema.Boolean }),
  Schema.TaggedStruct("VarIntBytes", { v: Schema.NullOr(Blob) }),
  Schema.TaggedStruct("Buffer", { v: Blob }),
  Schema.TaggedStruct("VarInt", { v: int(-(2 ** 31), 2 ** 31 - 1) }),
  Schema.TaggedStruct("VarLong", { v: int(Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER) }),
  /** Reads `buffer` (and checks it) in the middle of writing. */
  Schema.TaggedStruct("Peek", {})
])
type Leaf = typeof Leaf.Type
const Op = Schema.Union([
  Leaf,
  Schema.TaggedStruct("Encoder", { ops: Schema.Array(Leaf) }),
  Schema.TaggedStruct("EncoderArray", { items: Schema.Array(Schema.Array(Leaf)) })
])
type Op = typeof Op.Type

const uvarint = (value: bigint): Buffer => {
  const out: Array<number> = []
  let v = value
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80)
    v >>= 7n
  }
  out.push(Number(v))
  return Buffer.from(out)
}
const varint32 = (v: number) => uvarint(BigInt(((v << 1) ^ (v >> 31)) >>> 0))
const varint64 = (v: number) => uvarint(BigInt.asUintN(64, (BigInt(v) << 1n) ^ (BigInt(v) >> 63n)))
const fixed = (size: number, write: (b: Buffer) => void) => {
  const b = Buffer.alloc(size)
  write(b)
  return b
}
const utf8 = (s: string) => Buffer.from(s, "utf8")

type LeafOf<T extends Leaf["_tag"]> = Extract<Leaf, { readonly _tag: T }>

/**
 * Per field kind: how the test writes it with kafkajs, and the protocol's bytes for it, written
 * independently of kafkajs. Side by side, so that a kind cannot have one without the other.
 */
const leaves: {
  readonly [T in Exclude<Leaf["_tag"], "Peek">]: {
    readonly write: (encoder: KafkajsEncoder, op: LeafOf<T>) => void
    readonly bytes: (op: LeafOf<T>) => Buffer
  }
} = {
  Int8: { write: (e, op) => e.writeInt8(op.v), bytes: (op) => fixed(1, (b) => b.writeInt8(op.v)) },
  Int16: { write: (e, op) => e.writeInt16(op.v), bytes: (op) => fixed(2, (b) => b.writeInt16BE(op.v)) },
  Int32: { write: (e, op) => e.writeInt32(op.v), bytes: (op) => fixed(4, (b) => b.writeInt32BE(op.v)) },
  UInt32: { write: (e, op) => e.writeUInt32(op.v), bytes: (op) => fixed(4, (b) => b.writeUInt32BE(op.v)) },
  Int64: { write: (e, op) => e.writeInt64(op.v), bytes: (op) => fixed(8, (b) => b.writeBigInt64BE(BigInt(op.v))) },
  Boolean: { write: (e, op) => e.writeBoolean(op.v), bytes: (op) => Buffer.from([op.v ? 1 : 0]) },
  String: {
    write: (e, op) => e.writeString(op.v === null ? null : op.v.repeat(op.repeat)),
    bytes: (op) => {
      if (op.v === null) return fixed(2, (b) => b.writeInt16BE(-1))
      const s = utf8(op.v.repeat(op.repeat))
      return Buffer.concat([fixed(2, (b) => b.writeInt16BE(s.length)), s])
    }
  },
  VarIntString: {
    write: (e, op) => e.writeVarIntString(op.v === null ? null : op.v.repeat(op.repeat)),
    bytes: (op) => {
      if (op.v === null) return varint32(-1)
      const s = utf8(op.v.repeat(op.repeat))
      return Buffer.concat([varint32(s.length), s])
    }
  },
  Bytes: {
    write: (e, op) => e.writeBytes(op.v === null ? null : op.asString ? blob(op.v).toString("latin1") : blob(op.v)),
    bytes: (op) => {
      if (op.v === null) return fixed(4, (b) => b.writeInt32BE(-1))
      const raw = blob(op.v)
      const bytes = op.asString ? utf8(raw.toString("latin1")) : raw
      return Buffer.concat([fixed(4, (b) => b.writeInt32BE(bytes.length)), bytes])
    }
  },
  VarIntBytes: {
    write: (e, op) => e.writeVarIntBytes(op.v === null ? null : blob(op.v)),
    bytes: (op) => (op.v === null ? varint32(-1) : Buffer.concat([varint32(op.v.size), blob(op.v)]))
  },
  Buffer: { write: (e, op) => e.writeBuffer(blob(op.v)), bytes: (op) => blob(op.v) },
  VarInt: { write: (e, op) => e.writeVarInt(op.v), bytes: (op) => varint32(op.v) },
  VarLong: { write: (e, op) => e.writeVarLong(op.v), bytes: (op) => varint64(op.v) }
}

type Field = Exclude<Leaf, { readonly _tag: "Peek" }>

/** Writes one field; returns its expected bytes. */
const writeLeaf = (encoder: KafkajsEncoder, op: Field): Buffer => {
  // The table is keyed by tag, so the entry for `op._tag` takes `op` (TypeScript cannot correlate it).
  const leaf = leaves[op._tag] as {
    readonly write: (encoder: KafkajsEncoder, op: Field) => void
    readonly bytes: (op: Field) => Buffer
  }
  leaf.write(encoder, op)
  return leaf.bytes(op)
}

/** Writes `ops` into `encoder`, checking every Peek against the bytes expected so far. */
const writeLeaves = (encoder: KafkajsEncoder, ops: ReadonlyArray<Leaf>): Buffer => {
  const parts: Array<Buffer> = []
  for (const op of ops) {
    if (op._tag === "Peek") assert.deepStrictEqual(encoder.buffer, Buffer.concat(parts))
    else parts.push(writeLeaf(encoder, op))
  }
  return Buffer.concat(parts)
}

describe("kafkajs patch: Encoder", () => {
  it.prop(
    "writes the protocol's bytes for any mix of fields, nested encoders and reads in between",
    { ops: Schema.Array(Op) },
    ({ ops }) => {
      const encoder = new Encoder()
      const parts: Array<Buffer> = []
      for (const op of ops as ReadonlyArray<Op>) {
        if (op._tag === "Encoder") {
          const child = new Encoder()
          parts.push(writeLeaves(child, op.ops))
          encoder.writeEncoder(child)
        } else if (op._tag === "EncoderArray") {
          const children = op.items.map((items) => {
            const child = new Encoder()
            parts.push(writeLeaves(child, items))
            return child
          })
          encoder.writeEncoderArray(children)
        } else if (op._tag === "Peek") {
          assert.deepStrictEqual(encoder.buffer, Buffer.concat(parts))
        } else {
          parts.push(writeLeaves(encoder, [op]))
        }
        assert.strictEqual(encoder.size(), Buffer.concat(parts).length)
      }
      assert.deepStrictEqual(encoder.buffer, Buffer.concat(parts))
      // A second read gives the same bytes (the rope is joined once).
      assert.deepStrictEqual(encoder.buffer, Buffer.concat(parts))
    },
    { arbitrary: { runs: 300 } }
  )
})
