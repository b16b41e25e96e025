/** kafkajs producer and consumer against the embedded broker: acks, batches, headers, nulls, size, gzip, long poll. */
import { CompressionTypes, type Kafka, type Producer } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startBroker, type TestBroker } from "./fixtures/broker.ts"
import { client, consume, uniqueTopic } from "./fixtures/kafkajs.ts"

let broker: TestBroker
let kafka: Kafka
let producer: Producer
beforeAll(async () => {
  broker = await startBroker({ partitions: 1 })
  kafka = client(broker.brokers)
  producer = kafka.producer()
  await producer.connect()
})
afterAll(async () => {
  await producer.disconnect()
  await broker.close()
})

describe("producer", () => {
  it("acknowledges acks -1 and 1 with offsets, and gets no response for acks 0", async () => {
    const topic = uniqueTopic("acks")
    const all = await producer.send({ topic, acks: -1, messages: [{ value: "a" }, { value: "b" }] })
    expect(all[0]).toMatchObject({ errorCode: 0, baseOffset: "0" })
    const leader = await producer.send({ topic, acks: 1, messages: [{ value: "c" }] })
    expect(leader[0]).toMatchObject({ errorCode: 0, baseOffset: "2" })
    // kafkajs resolves an acks=0 send with an empty result because no response comes back.
    expect(await producer.send({ topic, acks: 0, messages: [{ value: "d" }] })).toEqual([])
    const read = await consume(kafka, topic, 4)
    expect(read.map((m) => m.message.value?.toString())).toEqual(["a", "b", "c", "d"])
  })

  it("sends a batch across topics and partitions", async () => {
    const admin = kafka.admin()
    await admin.connect()
    const [t1, t2] = [uniqueTopic("batch-a"), uniqueTopic("batch-b")]
    await admin.createTopics({
      topics: [
        { topic: t1, numPartitions: 3 },
        { topic: t2, numPartitions: 2 }
      ]
    })
    await admin.disconnect()
    const result = await producer.sendBatch({
      acks: -1,
      topicMessages: [
        { topic: t1, messages: [0, 1, 2, 0].map((partition, i) => ({ partition, value: `t1-${i}` })) },
        { topic: t2, messages: [1, 1].map((partition, i) => ({ partition, value: `t2-${i}` })) }
      ]
    })
    expect(result.every((r) => r.errorCode === 0)).toBe(true)
    const read1 = await consume(kafka, t1, 4)
    const read2 = await consume(kafka, t2, 2)
    expect(read1.map((m) => `${m.partition}:${m.message.value}`).sort()).toEqual([
      "0:t1-0",
      "0:t1-3",
      "1:t1-1",
      "2:t1-2"
    ])
    expect(read2.map((m) => `${m.partition}:${m.message.offset}:${m.message.value}`)).toEqual(["1:0:t2-0", "1:1:t2-1"])
  })

  it("keeps headers, null keys, null values and a message over 1 MB", async () => {
    const topic = uniqueTopic("shapes")
    const big = "x".repeat(1_500_000)
    await producer.send({
      topic,
      messages: [
        { key: "k", value: "v", headers: { trace: "t-1", multi: ["a", "b"] } },
        { key: null, value: "no-key" },
        { key: "tombstone", value: null },
        { key: "big", value: big }
      ]
    })
    const read = await consume(kafka, topic, 4)
    const [first, second, third, fourth] = read.map((r) => r.message)
    expect(first?.headers?.trace?.toString()).toBe("t-1")
    expect(first?.headers?.multi).toEqual([Buffer.from("a"), Buffer.from("b")])
    expect(second?.key).toBeNull()
    expect(third?.value).toBeNull()
    expect(fourth?.value?.length).toBe(big.length)
  })

  it("stores gzip batches as sent and serves them back", async () => {
    const topic = uniqueTopic("gzip")
    const values = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, payload: "p".repeat(100) }))
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: values.map((value) => ({ value })) })
    const read = await consume(kafka, topic, values.length)
    expect(read.map((m) => m.message.value?.toString())).toEqual(values)
    expect(read.map((m) => m.message.offset)).toEqual(values.map((_, i) => String(i)))
  })

  it("wakes a long-polling fetch as soon as a message arrives", async () => {
    const topic = uniqueTopic("longpoll")
    await producer.send({ topic, messages: [{ value: "first" }] })
    const consumer = kafka.consumer({ groupId: uniqueTopic("lp"), maxWaitTimeInMs: 20_000 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const started = { at: 0 }
    const arrived = new Promise<number>((resolve) => {
      consumer.run({
        eachMessage: async ({ message }) => {
          if (message.value?.toString() === "first") {
            // The consumer is now parked in a 20 s fetch on an empty partition.
            setTimeout(() => {
              started.at = Date.now()
              producer.send({ topic, messages: [{ value: "second" }] })
            }, 300)
          } else resolve(Date.now() - started.at)
        }
      })
    })
    expect(await arrived).toBeLessThan(20_000)
    await consumer.disconnect()
  })

  it("counts produce and fetch requests, bytes, log end offsets and fsyncs in metrics", async () => {
    const topic = uniqueTopic("metrics")
    await producer.send({ topic, messages: [{ value: "m1" }, { value: "m2" }] })
    await consume(kafka, topic, 2)
    const text = await broker.metrics()
    for (const name of [
      "kafka_broker_produce_requests_total",
      "kafka_broker_fetch_requests_total",
      "kafka_broker_bytes_in_total",
      "kafka_broker_bytes_out_total",
      "kafka_broker_fsync_seconds"
    ]) {
      expect(text).toContain(name)
    }
    expect(text).toMatch(new RegExp(`kafka_broker_log_end_offset.*${topic}`))
  })
})
