/** Wire-level tests: CRC-32C, primitives, ApiVersions negotiation and connection isolation (raw sockets). */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { crc32c } from "../../src/kafka/embedded/protocol/Crc32c.ts"
import { Reader } from "../../src/kafka/embedded/protocol/Reader.ts"
import { validateBatch } from "../../src/kafka/embedded/protocol/RecordBatch.ts"
import { Writer } from "../../src/kafka/embedded/protocol/Writer.ts"
import { startBroker, type TestBroker } from "./fixtures/broker.ts"
import { concat, RawConnection, recordBatch } from "./fixtures/raw.ts"

let broker: TestBroker
beforeAll(async () => {
  broker = await startBroker({ brokerMaxRequestBytes: 1024 * 1024 })
})
afterAll(() => broker.close())

describe("CRC-32C", () => {
  it("matches the known vectors", () => {
    expect(crc32c(Buffer.from("123456789"))).toBe(0xe3069283)
    expect(crc32c(Buffer.alloc(0))).toBe(0)
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa)
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
  })

  it("covers a sub-range and unaligned tails", () => {
    const buf = Buffer.from("xx123456789yy")
    expect(crc32c(buf, 2, 11)).toBe(0xe3069283)
  })

  it("validates a record batch and rejects a flipped byte", () => {
    const batch = recordBatch({ producerId: -1n, producerEpoch: -1, baseSequence: -1, values: ["a", "b"] })
    expect(validateBatch(batch, 0, batch.length)?.lastOffsetDelta).toBe(1)
    batch.writeUInt8(batch.readUInt8(batch.length - 2) ^ 0xff, batch.length - 2)
    expect(validateBatch(batch, 0, batch.length)).toBeNull()
  })
})

describe("primitives", () => {
  it("round-trips strings, bytes, arrays and varints", () => {
    const w = new Writer(4)
      .string("héllo")
      .nullableString(null)
      .bytes(Buffer.from([1, 2, 3]))
      .array([1, 2], (w, n) => {
        w.int32(n)
      })
      .uvarint(300)
      .varint(-129)
      .varint(64)
      .int64(-5n)
    const r = new Reader(concat(w))
    expect(r.string()).toBe("héllo")
    expect(r.nullableString()).toBeNull()
    expect([...r.bytes()]).toEqual([1, 2, 3])
    expect(r.array((r) => r.int32())).toEqual([1, 2])
    expect(r.uvarint()).toBe(300)
    expect(r.varint()).toBe(-129)
    expect(r.varint()).toBe(64)
    expect(r.int64()).toBe(-5n)
    expect(() => r.int8()).toThrow(/short read/)
  })
})

describe("connections", () => {
  it("answers ApiVersions v3 with UNSUPPORTED_VERSION and the table, and v2 normally", async () => {
    const conn = await RawConnection.open(broker.port)
    const v3 = await conn.request(18, 3, 7, Buffer.from([0, 0, 0]), true)
    expect(v3.readInt32BE(0)).toBe(7)
    expect(v3.readInt16BE(4)).toBe(35)
    const v2 = new Reader(await conn.request(18, 2, 8, Buffer.alloc(0)))
    expect(v2.int32()).toBe(8)
    expect(v2.int16()).toBe(0)
    const apis = v2.array((r) => [r.int16(), r.int16(), r.int16()])
    expect(apis).toContainEqual([0, 0, 7])
    expect(apis).toContainEqual([1, 0, 11])
    expect(apis).toContainEqual([18, 0, 2])
    conn.close()
  })

  it("closes only the connection that sent a malformed frame", async () => {
    const good = await RawConnection.open(broker.port)
    const bad = await RawConnection.open(broker.port)
    // A Metadata v4 request whose topic array claims more bytes than the frame holds.
    bad.write(Buffer.from([0, 0, 0, 14, 0, 3, 0, 4, 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0, 9]))
    await bad.closed
    const res = await good.request(18, 2, 1, Buffer.alloc(0))
    expect(res.readInt16BE(4)).toBe(0)
    good.close()
  })

  it("closes a connection on an oversize frame or an unknown API", async () => {
    const big = await RawConnection.open(broker.port)
    big.write(Buffer.from([0x7f, 0, 0, 0]))
    await big.closed
    const unknown = await RawConnection.open(broker.port)
    await expect(unknown.request(57, 0, 1, Buffer.alloc(0))).rejects.toThrow(/closed/)
    const ok = await RawConnection.open(broker.port)
    expect((await ok.request(18, 0, 3, Buffer.alloc(0))).readInt16BE(4)).toBe(0)
    ok.close()
  })

  it("answers pipelined requests in order", async () => {
    const conn = await RawConnection.open(broker.port)
    const ids = [11, 12, 13, 14, 15]
    const responses = await Promise.all(ids.map((id) => conn.request(18, 2, id, Buffer.alloc(0))))
    expect(responses.map((r) => r.readInt32BE(0))).toEqual(ids)
    conn.close()
  })
})
