/** Idempotent produce with exact bytes: duplicates keep their offset, gaps get 45, stale epochs 47. */
import type { Admin } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startBroker, type TestBroker } from "./fixtures/broker.ts"
import { client, consume, uniqueTopic } from "./fixtures/kafkajs.ts"
import { parseProduceResponse, produceBody, RawConnection, recordBatch } from "./fixtures/raw.ts"

let broker: TestBroker
let admin: Admin
let conn: RawConnection
let correlation = 0
beforeAll(async () => {
  broker = await startBroker()
  admin = client(broker.brokers).admin()
  await admin.connect()
  conn = await RawConnection.open(broker.port)
})
afterAll(async () => {
  conn.close()
  await admin.disconnect()
  await broker.close()
})

const initProducerId = async (): Promise<bigint> => {
  const body = Buffer.from([0xff, 0xff, 0, 0, 0x75, 0x30])
  const res = await conn.request(22, 1, ++correlation, body)
  expect(res.readInt16BE(8)).toBe(0)
  return res.readBigInt64BE(10)
}

const produce = async (topic: string, batch: Buffer) =>
  parseProduceResponse(await conn.request(0, 7, ++correlation, produceBody(topic, 0, batch)))

const highWatermark = async (topic: string) => (await admin.fetchTopicOffsets(topic))[0]?.high

describe("idempotent producer", () => {
  it("answers a resent batch with its original offset and appends nothing", async () => {
    const topic = uniqueTopic("idem-dup")
    await admin.createTopics({ topics: [{ topic }] })
    const producerId = await initProducerId()
    const first = recordBatch({ producerId, producerEpoch: 0, baseSequence: 0, values: ["a", "b"] })
    const second = recordBatch({ producerId, producerEpoch: 0, baseSequence: 2, values: ["c"] })
    expect(await produce(topic, first)).toEqual({ errorCode: 0, baseOffset: 0n })
    expect(await produce(topic, second)).toEqual({ errorCode: 0, baseOffset: 2n })
    // The broker stamped the first copy in place; resend pristine bytes with the same sequence.
    const resend = recordBatch({ producerId, producerEpoch: 0, baseSequence: 0, values: ["a", "b"] })
    expect(await produce(topic, resend)).toEqual({ errorCode: 0, baseOffset: 0n })
    expect(await highWatermark(topic)).toBe("3")
    const read = await consume(client(broker.brokers), topic, 3)
    expect(read.map((m) => m.message.value?.toString())).toEqual(["a", "b", "c"])
  })

  it("rejects a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER (45)", async () => {
    const topic = uniqueTopic("idem-gap")
    await admin.createTopics({ topics: [{ topic }] })
    const producerId = await initProducerId()
    await produce(topic, recordBatch({ producerId, producerEpoch: 0, baseSequence: 0, values: ["a"] }))
    const gap = await produce(topic, recordBatch({ producerId, producerEpoch: 0, baseSequence: 5, values: ["x"] }))
    expect(gap.errorCode).toBe(45)
    expect(await highWatermark(topic)).toBe("1")
  })

  it("rejects a stale epoch with INVALID_PRODUCER_EPOCH (47)", async () => {
    const topic = uniqueTopic("idem-epoch")
    await admin.createTopics({ topics: [{ topic }] })
    const producerId = await initProducerId()
    await produce(topic, recordBatch({ producerId, producerEpoch: 3, baseSequence: 0, values: ["a"] }))
    const stale = await produce(topic, recordBatch({ producerId, producerEpoch: 2, baseSequence: 1, values: ["b"] }))
    expect(stale.errorCode).toBe(47)
  })

  it("ignores sequences when producerId is -1", async () => {
    const topic = uniqueTopic("idem-none")
    await admin.createTopics({ topics: [{ topic }] })
    const batch = () => recordBatch({ producerId: -1n, producerEpoch: -1, baseSequence: 0, values: ["a"] })
    expect(await produce(topic, batch())).toEqual({ errorCode: 0, baseOffset: 0n })
    expect(await produce(topic, batch())).toEqual({ errorCode: 0, baseOffset: 1n })
  })

  it("allocates distinct producer ids and rejects a corrupt batch with CORRUPT_MESSAGE (2)", async () => {
    expect(await initProducerId()).not.toBe(await initProducerId())
    const topic = uniqueTopic("corrupt")
    await admin.createTopics({ topics: [{ topic }] })
    const batch = recordBatch({ producerId: -1n, producerEpoch: -1, baseSequence: 0, values: ["a"] })
    batch.writeUInt8(batch.readUInt8(batch.length - 1) ^ 0x55, batch.length - 1)
    expect((await produce(topic, batch)).errorCode).toBe(2)
  })

  it("works end to end with kafkajs idempotent producers", async () => {
    const topic = uniqueTopic("idem-kafkajs")
    const kafka = client(broker.brokers)
    const producer = kafka.producer({ idempotent: true })
    await producer.connect()
    for (let i = 0; i < 5; i++) await producer.send({ topic, messages: [{ value: `m${i}` }, { value: `n${i}` }] })
    await producer.disconnect()
    expect(await highWatermark(topic)).toBe("10")
  })
})
