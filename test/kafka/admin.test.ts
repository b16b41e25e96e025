/** kafkajs admin against the embedded broker: create, already exists, list, offsets, delete. */
import type { Admin, Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startBroker, type TestBroker } from "./fixtures/broker.ts"
import { client, consume, uniqueTopic } from "./fixtures/kafkajs.ts"

let broker: TestBroker
let kafka: Kafka
let admin: Admin
beforeAll(async () => {
  broker = await startBroker()
  kafka = client(broker.brokers)
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await admin.disconnect()
  await broker.close()
})

describe("admin", () => {
  it("creates a topic, reports 'already exists' (36) and lists it", async () => {
    const topic = uniqueTopic("admin-create")
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(true)
    // kafkajs turns an all-TOPIC_ALREADY_EXISTS (36) error into `false`.
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false)
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
    expect(metadata.topics[0]?.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2])
    expect(await admin.listTopics()).toContain(topic)
  })

  it("fetches topic offsets after producing", async () => {
    const topic = uniqueTopic("admin-offsets")
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        { partition: 1, value: "a" },
        { partition: 1, value: "b" }
      ]
    })
    await producer.disconnect()
    const offsets = await admin.fetchTopicOffsets(topic)
    expect(offsets.sort((a, b) => a.partition - b.partition)).toEqual([
      { partition: 0, offset: "0", high: "0", low: "0" },
      { partition: 1, offset: "2", high: "2", low: "0" }
    ])
  })

  it("deletes a topic", async () => {
    const topic = uniqueTopic("admin-delete")
    await admin.createTopics({ topics: [{ topic }] })
    await admin.deleteTopics({ topics: [topic] })
    expect(await admin.listTopics()).not.toContain(topic)
  })

  it("lists, describes and reads the offsets of a consumer group", async () => {
    const topic = uniqueTopic("admin-groups")
    const groupId = uniqueTopic("admin-g")
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: [{ value: "a" }, { value: "b" }, { value: "c" }] })
    await producer.disconnect()

    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    let seen = 0
    await new Promise<void>((resolve) => {
      consumer.run({
        eachMessage: async () => {
          if (++seen === 3) resolve()
        }
      })
    })
    await consumer.commitOffsets([{ topic, partition: 0, offset: "3" }])
    const { groups } = await admin.listGroups()
    expect(groups).toContainEqual({ groupId, protocolType: "consumer" })
    const described = await admin.describeGroups([groupId])
    expect(described.groups[0]).toMatchObject({ groupId, protocolType: "consumer", errorCode: 0 })
    expect(described.groups[0]?.members.length).toBe(1)
    await consumer.disconnect()

    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(offsets?.partitions).toEqual([{ partition: 0, offset: "3", metadata: null }])
    // A new member of the same group resumes after the committed offset.
    const more = kafka.producer()
    await more.connect()
    await more.send({ topic, messages: [{ value: "d" }] })
    await more.disconnect()
    expect((await consume(kafka, topic, 1, groupId)).map((m) => m.message.value?.toString())).toEqual(["d"])
  })
})
