/**
 * The Kafka client layer (src/kafka/*.ts) against the embedded broker over real kafkajs: topic
 * bootstrap, the batching idempotent producer, and consumer-group streams with commits, seeks and
 * rebalances. One broker for the file, plus two short-lived ones where the broker itself is the
 * subject: the "broker stopped" case and the composed production layers (KAFKA_BROKERS unset).
 */
import { randomUUID } from "node:crypto"
import { rmSync } from "node:fs"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, Metric, Scope, Stream } from "effect"
import type { Message } from "kafkajs"
import { Settings } from "../../src/domain/Settings.ts"
import {
  type ConsumerGroupOptions,
  ConsumerMetrics,
  decodeHeaders,
  diffAssignment,
  EventConsumer,
  parsePartitionKey,
  partitionKey,
  type RecordBatch,
  type TopicPartition
} from "../../src/kafka/EventConsumer.ts"
import {
  assignOffsets,
  classifySendError,
  EventProducer,
  type EventProducerOptions,
  mergeByTopic,
  ProducerMetrics
} from "../../src/kafka/EventProducer.ts"
import { EmbeddedBroker } from "../../src/kafka/embedded/EmbeddedBroker.ts"
import { Kafka } from "../../src/kafka/Kafka.ts"
import { ensureTopics, TopicNames, Topics } from "../../src/kafka/Topics.ts"
import { startBroker, type TestBroker, tempDataDir } from "./fixtures/broker.ts"

// ---------------------------------------------------------------------------------------------
// Pure parts

describe("kafka client helpers", () => {
  it("mergeByTopic keeps request order within a topic", () => {
    const m = (v: string): Message => ({ key: null, value: v })
    const merged = mergeByTopic([
      { topic: "a", messages: [m("1"), m("2")] },
      { topic: "b", messages: [m("3")] },
      { topic: "a", messages: [m("4")] }
    ])
    assert.deepStrictEqual(
      merged.map((t) => [t.topic, t.messages.map((x) => x.value)]),
      [
        ["a", ["1", "2", "4"]],
        ["b", ["3"]]
      ]
    )
  })

  it("assignOffsets numbers each partition's messages from its base offset", () => {
    const msgs: Array<Message> = [0, 1, 2, 3, 4].map((i) => ({ key: `k${i}`, value: String(i) }))
    const partitions = new Map<Message, number>(msgs.map((m, i) => [m, i % 2]))
    const acks = assignOffsets([{ topic: "t", messages: msgs }], (m) => partitions.get(m), [
      { topicName: "t", partition: 0, baseOffset: "10" },
      { topicName: "t", partition: 1, baseOffset: "20" }
    ])
    assert.deepStrictEqual(
      msgs.map((m) => acks.get(m)),
      [
        { topic: "t", partition: 0, offset: 10n },
        { topic: "t", partition: 1, offset: 20n },
        { topic: "t", partition: 0, offset: 11n },
        { topic: "t", partition: 1, offset: 21n },
        { topic: "t", partition: 0, offset: 12n }
      ]
    )
  })

  it("diffAssignment revokes what left or was lost in between, assigns what is new or regained", () => {
    const diff = diffAssignment(new Set(["t:0", "t:1", "t:2"]), new Set(["t:1", "t:2", "t:3"]), new Set(["t:2"]))
    assert.deepStrictEqual(diff, { revoked: ["t:0", "t:2"], assigned: ["t:2", "t:3"] })
    assert.deepStrictEqual(diffAssignment(new Set(["t:0"]), new Set(["t:0"]), new Set()), { revoked: [], assigned: [] })
  })

  it("partition keys round-trip and headers decode to strings", () => {
    const tp: TopicPartition = { topic: "events_raw", partition: 2 }
    assert.strictEqual(partitionKey(tp), "events_raw:2")
    assert.deepStrictEqual(parsePartitionKey(partitionKey(tp)), tp)
    assert.deepStrictEqual(decodeHeaders({ a: Buffer.from("x"), b: "y", c: ["1", Buffer.from("2")], d: undefined }), {
      a: "x",
      b: "y",
      c: "2"
    })
  })

  it("classifySendError separates rejected records from an unavailable broker", () => {
    const tooLarge = Object.assign(new Error("too large"), { type: "MESSAGE_TOO_LARGE" })
    assert.strictEqual(classifySendError(tooLarge)._tag, "ProduceRejected")
    const wrapped = Object.assign(new Error("retries exceeded"), { cause: tooLarge })
    assert.strictEqual(classifySendError(wrapped)._tag, "ProduceRejected")
    assert.strictEqual(classifySendError(new Error("Connection error: ECONNREFUSED"))._tag, "BrokerUnavailable")
  })
})

// ---------------------------------------------------------------------------------------------
// Against the embedded broker

let broker: TestBroker
/** Data directories of the extra brokers some tests start, removed at the end. */
const extraDirs: Array<string> = []
const extraDataDir = () => {
  const dir = tempDataDir()
  extraDirs.push(dir)
  return dir
}
beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  await broker?.close()
  for (const dir of [broker?.dataDir, ...extraDirs])
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true })
})

const fastRetry = { retries: 2, initialRetryTime: 50, maxRetryTime: 200 }

const kafkaLayer = (brokers: ReadonlyArray<string>) => Kafka.layerWith(brokers, { retry: fastRetry })

const settingsLayer = Settings.layerWith({ partitions: 3 })

const clientLayer = (options: EventProducerOptions = {}, brokers: ReadonlyArray<string> = broker.brokers) =>
  Layer.mergeAll(EventProducer.layerWith(options), EventConsumer.layer).pipe(
    Layer.provideMerge(Topics.layer),
    Layer.provideMerge(Layer.mergeAll(kafkaLayer(brokers), settingsLayer))
  )

const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`

const createTopic = (partitions: number) =>
  Effect.gen(function* () {
    const name = uniqueName("t")
    yield* ensureTopics([{ name, numPartitions: partitions, configs: {} }])
    return name
  })

/** Polls `check` until it holds (the overall test timeout bounds it); not a timing assertion. */
const eventually = <E, R>(check: Effect.Effect<boolean, E, R>, what: string) =>
  Effect.gen(function* () {
    for (let i = 0; i < 600; i++) {
      if (yield* check) return
      yield* Effect.sleep("50 millis")
    }
    return yield* Effect.die(new Error(`timed out waiting for ${what}`))
  })

const consumerOptions = <E = never, R = never>(
  groupId: string,
  topics: ReadonlyArray<string>,
  extra: Partial<ConsumerGroupOptions<E, R>> = {}
): ConsumerGroupOptions<E, R> => ({
  groupId,
  topics,
  heartbeatIntervalMs: 300,
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 6_000,
  maxWaitTimeMs: 200,
  ...extra
})

const values = (batches: ReadonlyArray<RecordBatch>) =>
  batches.flatMap((b) => b.messages.map((m) => new TextDecoder().decode(m.value)))

describe("Topics", () => {
  it.live("bootstrap creates the three topics with their partition counts, idempotently", () =>
    Effect.gen(function* () {
      const first = yield* Topics
      const second = yield* Effect.provide(Effect.service(Topics), Layer.fresh(Topics.layer))
      const result = yield* second.ready
      assert.deepStrictEqual(result.created, [])
      assert.deepStrictEqual([...result.existing].sort(), Object.values(TopicNames).sort())
      assert.strictEqual(first.specs.length, 3)
      const { client } = yield* Kafka
      const admin = client.admin()
      yield* Effect.promise(() => admin.connect())
      const metadata = yield* Effect.promise(() => admin.fetchTopicMetadata({ topics: Object.values(TopicNames) }))
      yield* Effect.promise(() => admin.disconnect())
      const counts = Object.fromEntries(metadata.topics.map((t) => [t.name, t.partitions.length]))
      assert.deepStrictEqual(counts, { events_raw: 3, events_deadletter: 1, kpi_minute: 1 })
    }).pipe(
      Effect.provide(Topics.layer.pipe(Layer.provideMerge(Layer.mergeAll(kafkaLayer(broker.brokers), settingsLayer))))
    )
  )
})

const counterValue = (counter: typeof ProducerMetrics.batchesSent) =>
  Effect.map(Metric.value(counter), (state) => state.count)

describe("EventProducer", () => {
  it.live("batches concurrent publishes and acknowledges each record with its partition and offset", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(3)
      const producer = yield* EventProducer
      const batchesBefore = yield* counterValue(ProducerMetrics.batchesSent)
      const acks = yield* Effect.forEach(
        Array.from({ length: 60 }, (_, i) => i),
        (i) => producer.publish(topic, [{ key: `user-${i % 7}`, value: `v${i}`, headers: { i: String(i) } }]),
        { concurrency: "unbounded" }
      )
      const batchesSent = (yield* counterValue(ProducerMetrics.batchesSent)) - batchesBefore
      assert.isTrue(batchesSent < 60, `expected fewer sendBatch calls than publishes, got ${batchesSent}`)
      assert.strictEqual(acks.length, 60)
      const flat = acks.map((a) => a[0])
      // Offsets are unique per partition and dense from 0.
      for (const partition of [0, 1, 2]) {
        const offsets = flat
          .filter((a) => a?.partition === partition)
          .map((a) => Number(a?.offset))
          .sort((x, y) => x - y)
        assert.deepStrictEqual(
          offsets,
          offsets.map((_, i) => i)
        )
      }
      // Same key, same partition.
      const partitionOfKey = new Map<string, number>()
      flat.forEach((ack, i) => {
        const key = `user-${i % 7}`
        const seen = partitionOfKey.get(key)
        if (seen === undefined && ack !== undefined) partitionOfKey.set(key, ack.partition)
        else assert.strictEqual(ack?.partition, seen, `key ${key}`)
      })
      // The acks point at the records: read them back and compare.
      const consumer = yield* EventConsumer
      const group = consumer.group(consumerOptions(uniqueName("g"), [topic]))
      const batches: Array<RecordBatch> = []
      yield* group.batches.pipe(
        Stream.tap((b) => Effect.sync(() => batches.push(b))),
        Stream.takeUntil(() => batches.reduce((n, b) => n + b.messages.length, 0) >= 60),
        Stream.runDrain
      )
      const valueAt = new Map<string, string>()
      for (const b of batches) {
        for (const m of b.messages) valueAt.set(`${b.partition}@${m.offset}`, new TextDecoder().decode(m.value))
      }
      flat.forEach((ack, i) => {
        assert.strictEqual(valueAt.get(`${ack?.partition}@${ack?.offset}`), `v${i}`)
      })
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("publishing one request of many records returns acks in input order", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(1)
      const producer = yield* EventProducer
      const first = yield* producer.publish(topic, [
        { key: "a", value: "1" },
        { key: null, value: new TextEncoder().encode("2") }
      ])
      const second = yield* producer.publish(topic, [{ key: "a", value: "3" }])
      assert.deepStrictEqual(
        [...first, ...second].map((a) => [a.topic, a.partition, a.offset]),
        [
          [topic, 0, 0n],
          [topic, 0, 1n],
          [topic, 0, 2n]
        ]
      )
      assert.deepStrictEqual(yield* producer.publish(topic, []), [])
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("fails fast with ProducerSaturated when the pending buffer is full", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(1)
      // A linger far longer than the test keeps the first request pending; closing the layer flushes it.
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(clientLayer({ maxPendingRecords: 5, lingerMs: 60_000 }), scope)
      const producer = Context.get(context, EventProducer)
      const records = [1, 2, 3].map((i) => ({ key: "k", value: String(i) }))
      const first = yield* Effect.forkChild(producer.publish(topic, records))
      yield* eventually(
        Effect.map(producer.pendingRecords, (n) => n === 3),
        "the first publish to be accepted"
      )
      const second = yield* Effect.exit(producer.publish(topic, records))
      assert.isTrue(Exit.isFailure(second))
      if (Exit.isFailure(second)) {
        const error = second.cause.reasons.find((r) => r._tag === "Fail")
        assert.strictEqual(error?._tag === "Fail" ? error.error._tag : undefined, "ProducerSaturated")
      }
      yield* Scope.close(scope, Exit.void)
      const acks = yield* Fiber.join(first)
      assert.strictEqual(acks.length, 3)
      assert.strictEqual(yield* producer.pendingRecords, 0)
    }).pipe(Effect.provide(Layer.mergeAll(kafkaLayer(broker.brokers), settingsLayer)))
  )

  it.live("fails with BrokerUnavailable after bounded retries when the broker is gone", () =>
    Effect.gen(function* () {
      // A broker of its own, built in a scope this test closes to stop it.
      const dataDir = yield* Effect.sync(extraDataDir)
      const brokerScope = yield* Scope.make()
      const brokerContext = yield* Layer.buildWithScope(
        EmbeddedBroker.layer.pipe(Layer.provide(Settings.layerWith({ brokerPort: 0, dataDir }))),
        brokerScope
      )
      const layer = EventProducer.layerWith({
        sendRetries: 1,
        retryBaseDelayMs: 50,
        kafkaRetry: { retries: 1, initialRetryTime: 50 }
      }).pipe(
        Layer.provideMerge(Topics.layer),
        Layer.provideMerge(Kafka.layerEmbedded({ retry: fastRetry })),
        Layer.provideMerge(settingsLayer),
        Layer.provide(Layer.succeedContext(brokerContext))
      )
      const result = yield* Effect.gen(function* () {
        const { embedded } = yield* Kafka
        assert.isTrue(embedded)
        const topic = yield* createTopic(1)
        const producer = yield* EventProducer
        yield* producer.publish(topic, [{ key: "k", value: "before" }])
        yield* Scope.close(brokerScope, Exit.void)
        return yield* Effect.exit(producer.publish(topic, [{ key: "k", value: "after" }]))
      }).pipe(Effect.provide(layer))
      assert.isTrue(Exit.isFailure(result))
      if (Exit.isFailure(result)) {
        const error = result.cause.reasons.find((r) => r._tag === "Fail")
        assert.strictEqual(error?._tag === "Fail" ? error.error._tag : undefined, "BrokerUnavailable")
      }
    })
  )

  it.live("flushes accepted records before the layer closes", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(1)
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(clientLayer({ lingerMs: 300 }), scope)
      const producer = Context.get(context, EventProducer)
      const pending = yield* Effect.forkChild(producer.publish(topic, [{ key: "k", value: "last words" }]))
      yield* eventually(
        Effect.map(producer.pendingRecords, (n) => n === 1),
        "the publish to be accepted"
      )
      yield* Scope.close(scope, Exit.void)
      const acks = yield* Fiber.join(pending)
      assert.deepStrictEqual(acks, [{ topic, partition: 0, offset: 0n }])
      const after = yield* Effect.exit(producer.publish(topic, [{ key: "k", value: "too late" }]))
      assert.isTrue(Exit.isFailure(after))
    }).pipe(Effect.provide(Layer.mergeAll(kafkaLayer(broker.brokers), settingsLayer)))
  )
})

const produceValues = (topic: string, vals: ReadonlyArray<string>, key: (i: number) => string | null = () => null) =>
  Effect.gen(function* () {
    const producer = yield* EventProducer
    return yield* producer.publish(
      topic,
      vals.map((value, i) => ({ key: key(i), value }))
    )
  })

const countOf = (batches: ReadonlyArray<RecordBatch>) => batches.reduce((n, b) => n + b.messages.length, 0)

describe("EventConsumer", () => {
  it.live("streams what was produced, in batches with consistent offset ranges", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(3)
      const produced = Array.from({ length: 45 }, (_, i) => `m${i}`)
      yield* produceValues(topic, produced, (i) => `user-${i}`)
      const consumer = yield* EventConsumer
      const groupId = uniqueName("g")
      const group = consumer.group(consumerOptions(groupId, [topic]))
      const batches: Array<RecordBatch> = []
      const lagOf = (partition: number) =>
        Effect.map(
          Metric.value(
            Metric.withAttributes(ConsumerMetrics.consumerLag, { group: groupId, topic, partition: String(partition) })
          ),
          (state) => state.value
        )
      let lagAtEnd: ReadonlyArray<number> = []
      yield* group.batches.pipe(
        Stream.tap((b) => Effect.sync(() => batches.push(b))),
        // While still consuming, once everything is in: the lag gauge reads 0 for every partition.
        Stream.tap(() =>
          countOf(batches) >= produced.length
            ? Effect.map(Effect.forEach([0, 1, 2], lagOf), (lags) => {
                lagAtEnd = lags
              })
            : Effect.void
        ),
        Stream.takeUntil(() => countOf(batches) >= produced.length),
        Stream.runDrain
      )
      assert.deepStrictEqual([...values(batches)].sort(), [...produced].sort())
      const nextByPartition = new Map<number, bigint>()
      for (const b of batches) {
        assert.strictEqual(b.topic, topic)
        assert.strictEqual(b.firstOffset, b.messages[0]?.offset)
        assert.strictEqual(b.lastOffset, b.messages[b.messages.length - 1]?.offset)
        // Dense and in order within a batch and across batches of a partition.
        b.messages.forEach((m, i) => {
          assert.strictEqual(m.offset, b.firstOffset + BigInt(i))
        })
        assert.strictEqual(b.firstOffset, nextByPartition.get(b.partition) ?? 0n)
        nextByPartition.set(b.partition, b.lastOffset + 1n)
        assert.isTrue(b.highWatermark > b.lastOffset)
        for (const m of b.messages) assert.isNotNull(m.key)
      }
      assert.deepStrictEqual(lagAtEnd, [0, 0, 0])
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("resumes after the committed offset on restart (nothing lost, nothing repeated)", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(1)
      const groupId = uniqueName("g")
      yield* produceValues(
        topic,
        Array.from({ length: 10 }, (_, i) => `a${i}`)
      )
      const consumer = yield* EventConsumer
      const revoked: Array<ReadonlyArray<TopicPartition>> = []
      const first = consumer.group(
        consumerOptions(groupId, [topic], {
          onRevoked: (partitions) => Effect.sync(() => revoked.push(partitions))
        })
      )
      const firstRun: Array<RecordBatch> = []
      yield* first.batches.pipe(
        Stream.mapEffect((b) =>
          first
            .commit(b.topic, b.partition, b.lastOffset + 1n)
            .pipe(Effect.andThen(Effect.sync(() => firstRun.push(b))))
        ),
        Stream.takeUntil(() => countOf(firstRun) >= 10),
        Stream.runDrain
      )
      assert.deepStrictEqual(
        values(firstRun),
        Array.from({ length: 10 }, (_, i) => `a${i}`)
      )
      // Stopping revoked what the member held.
      assert.deepStrictEqual(revoked, [[{ topic, partition: 0 }]])

      yield* produceValues(
        topic,
        Array.from({ length: 5 }, (_, i) => `b${i}`)
      )
      const second = consumer.group(consumerOptions(groupId, [topic]))
      const secondRun: Array<RecordBatch> = []
      yield* second.batches.pipe(
        Stream.tap((b) => Effect.sync(() => secondRun.push(b))),
        Stream.takeUntil(() => countOf(secondRun) >= 5),
        Stream.runDrain
      )
      assert.deepStrictEqual(values(secondRun), ["b0", "b1", "b2", "b3", "b4"])
      assert.strictEqual(secondRun[0]?.firstOffset, 10n)
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("onAssigned offsets override the group's committed offsets (resume from a checkpoint)", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(2)
      const groupId = uniqueName("g")
      const produced = Array.from({ length: 20 }, (_, i) => `c${i}`)
      const acks = yield* produceValues(topic, produced, (i) => `user-${i}`)
      const consumer = yield* EventConsumer
      // First run: consume everything and commit it, so the group's offsets point at the end.
      const first = consumer.group(consumerOptions(groupId, [topic]))
      const firstRun: Array<RecordBatch> = []
      yield* first.batches.pipe(
        Stream.mapEffect((b) =>
          first
            .commit(b.topic, b.partition, b.lastOffset + 1n)
            .pipe(Effect.andThen(Effect.sync(() => firstRun.push(b))))
        ),
        Stream.takeUntil(() => countOf(firstRun) >= produced.length),
        Stream.runDrain
      )
      // Second run: the checkpoint says offset 3 on both partitions; that wins over the commits.
      const assigned: Array<ReadonlyArray<TopicPartition>> = []
      const checkpoint = new Map([
        [partitionKey({ topic, partition: 0 }), 3n],
        [partitionKey({ topic, partition: 1 }), 3n]
      ])
      const group = consumer.group(
        consumerOptions(groupId, [topic], {
          onAssigned: (partitions) =>
            Effect.sync(() => {
              assigned.push(partitions)
              return checkpoint
            })
        })
      )
      const expected = acks.flatMap((ack, i) => (ack.offset >= 3n ? [`c${i}`] : []))
      const batches: Array<RecordBatch> = []
      yield* group.batches.pipe(
        Stream.tap((b) => Effect.sync(() => batches.push(b))),
        Stream.takeUntil(() => countOf(batches) >= expected.length),
        Stream.runDrain
      )
      assert.deepStrictEqual([...values(batches)].sort(), [...expected].sort())
      for (const b of batches) assert.isTrue(b.firstOffset >= 3n)
      assert.deepStrictEqual(assigned, [
        [
          { topic, partition: 0 },
          { topic, partition: 1 }
        ]
      ])
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("two members split the partitions; when one stops, the other is assigned what it held", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(3)
      const groupId = uniqueName("g")
      const consumer = yield* EventConsumer
      type Event = {
        readonly member: string
        readonly kind: "assigned" | "revoked"
        readonly keys: ReadonlyArray<string>
      }
      const log: Array<Event> = []
      const consumed = new Map<string, number>()
      const member = (name: string) => {
        const group = consumer.group(
          consumerOptions(groupId, [topic], {
            onAssigned: (partitions) =>
              Effect.sync(() => {
                log.push({ member: name, kind: "assigned", keys: partitions.map(partitionKey) })
                return new Map<string, bigint>()
              }),
            onRevoked: (partitions) =>
              Effect.sync(() => {
                log.push({ member: name, kind: "revoked", keys: partitions.map(partitionKey) })
              })
          })
        )
        const run = group.batches.pipe(
          Stream.mapEffect((b) =>
            Effect.sync(() => {
              for (const m of b.messages) {
                const v = new TextDecoder().decode(m.value)
                consumed.set(v, (consumed.get(v) ?? 0) + 1)
              }
            }).pipe(Effect.andThen(Effect.ignore(group.commit(b.topic, b.partition, b.lastOffset + 1n))))
          ),
          Stream.runDrain
        )
        return { group, run }
      }
      const a = member("A")
      const b = member("B")
      const held = (m: typeof a) => Effect.map(m.group.assignment, (ps) => ps.map(partitionKey))

      const fiberA = yield* Effect.forkChild(a.run)
      yield* eventually(
        Effect.map(held(a), (ps) => ps.length === 3),
        "A to hold all partitions"
      )
      const fiberB = yield* Effect.forkChild(b.run)
      yield* eventually(
        Effect.gen(function* () {
          const [pa, pb] = [yield* held(a), yield* held(b)]
          return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 3
        }),
        "A and B to split the partitions"
      )
      const aHeld = yield* held(a)
      const bHeld = yield* held(b)
      assert.deepStrictEqual(
        [...aHeld, ...bHeld].sort(),
        [0, 1, 2].map((p) => `${topic}:${p}`)
      )

      const firstWave = Array.from({ length: 30 }, (_, i) => `w1-${i}`)
      yield* produceValues(topic, firstWave, (i) => `user-${i}`)
      yield* eventually(
        Effect.sync(() => firstWave.every((v) => consumed.has(v))),
        "both members to consume the first wave"
      )

      // A leaves: it gets onRevoked for what it held, B gets onAssigned for exactly that.
      yield* Fiber.interrupt(fiberA)
      assert.deepStrictEqual(log.filter((e) => e.member === "A" && e.kind === "revoked").at(-1)?.keys, aHeld)
      yield* eventually(
        Effect.map(held(b), (ps) => ps.length === 3),
        "B to take over A's partitions"
      )
      const bAssigned = log.filter((e) => e.member === "B" && e.kind === "assigned").flatMap((e) => e.keys)
      for (const key of aHeld) assert.include(bAssigned, key)

      const secondWave = Array.from({ length: 30 }, (_, i) => `w2-${i}`)
      yield* produceValues(topic, secondWave, (i) => `user-${i}`)
      yield* eventually(
        Effect.sync(() => secondWave.every((v) => consumed.has(v))),
        "B to consume the second wave from all partitions"
      )
      yield* Fiber.interrupt(fiberB)
      assert.deepStrictEqual([...consumed.keys()].sort(), [...firstWave, ...secondWave].sort())
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("a member keeps its position on partitions it retains across a rebalance (no re-delivery)", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(3)
      const groupId = uniqueName("g")
      const consumer = yield* EventConsumer
      // No commits at all: without the seek on rejoin kafkajs would re-read retained partitions from 0.
      const deliveries = new Map<string, Array<string>>([
        ["A", []],
        ["B", []]
      ])
      const member = (name: string) => {
        const group = consumer.group(consumerOptions(groupId, [topic]))
        const run = group.batches.pipe(
          Stream.runForEach((b) =>
            Effect.sync(() => {
              for (const m of b.messages) deliveries.get(name)?.push(`${b.partition}@${m.offset}`)
            })
          )
        )
        return { group, run }
      }
      const a = member("A")
      const b = member("B")
      const fiberA = yield* Effect.forkChild(a.run)
      yield* eventually(
        Effect.map(a.group.assignment, (ps) => ps.length === 3),
        "A to hold all partitions"
      )
      yield* produceValues(
        topic,
        Array.from({ length: 30 }, (_, i) => `x${i}`),
        (i) => `user-${i}`
      )
      yield* eventually(
        Effect.sync(() => (deliveries.get("A") ?? []).length >= 30),
        "A to consume the first wave"
      )
      const fiberB = yield* Effect.forkChild(b.run)
      yield* eventually(
        Effect.gen(function* () {
          const [pa, pb] = [yield* a.group.assignment, yield* b.group.assignment]
          return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 3
        }),
        "A and B to split the partitions"
      )
      yield* produceValues(
        topic,
        Array.from({ length: 30 }, (_, i) => `y${i}`),
        (i) => `user-${i}`
      )
      yield* eventually(
        Effect.sync(() => new Set([...(deliveries.get("A") ?? []), ...(deliveries.get("B") ?? [])]).size >= 60),
        "the second wave to be consumed"
      )
      yield* Fiber.interrupt(fiberB)
      yield* Fiber.interrupt(fiberA)
      const fromA = deliveries.get("A") ?? []
      assert.strictEqual(new Set(fromA).size, fromA.length, "A re-delivered records of a partition it kept")
    }).pipe(Effect.provide(clientLayer()))
  )

  it.live("a slow stream consumer keeps its session through a rebalance; nothing lost, nothing repeated", () =>
    Effect.gen(function* () {
      const topic = yield* createTopic(3)
      const groupId = uniqueName("g")
      const consumer = yield* EventConsumer
      const deliveries: Record<string, Array<string>> = { A: [], B: [] }
      const seen = new Set<string>()
      const member = (name: string, perBatch: Effect.Effect<void>) => {
        const group = consumer.group(consumerOptions(groupId, [topic]))
        const run = group.batches.pipe(
          Stream.runForEach((b) =>
            perBatch.pipe(
              Effect.andThen(
                Effect.sync(() => {
                  for (const m of b.messages) {
                    deliveries[name]?.push(`${b.partition}@${m.offset}`)
                    seen.add(new TextDecoder().decode(m.value))
                  }
                })
              ),
              // Commits keep the hand-over exact; a refused commit (partition moved) is fine here.
              Effect.andThen(Effect.ignore(group.commit(b.topic, b.partition, b.lastOffset + 1n)))
            )
          )
        )
        return { group, run }
      }
      // A spends a while on each batch, so kafkajs is parked in eachBatch when B joins.
      const a = member("A", Effect.sleep("700 millis"))
      const b = member("B", Effect.void)
      const fiberA = yield* Effect.forkChild(a.run)
      yield* eventually(
        Effect.map(a.group.assignment, (ps) => ps.length === 3),
        "A to hold all partitions"
      )
      const firstWave = Array.from({ length: 60 }, (_, i) => `s${i}`)
      yield* produceValues(topic, firstWave, (i) => `user-${i}`)
      yield* eventually(
        Effect.sync(() => (deliveries.A?.length ?? 0) > 0),
        "A to start on the first wave"
      )
      const fiberB = yield* Effect.forkChild(b.run)
      yield* eventually(
        Effect.gen(function* () {
          const [pa, pb] = [yield* a.group.assignment, yield* b.group.assignment]
          return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 3
        }),
        "A and B to split the partitions"
      )
      const secondWave = Array.from({ length: 60 }, (_, i) => `t${i}`)
      yield* produceValues(topic, secondWave, (i) => `user-${i}`)
      yield* eventually(
        Effect.sync(() => [...firstWave, ...secondWave].every((v) => seen.has(v))),
        "A and B to consume everything between them"
      )
      yield* Fiber.interrupt(fiberB)
      yield* Fiber.interrupt(fiberA)
      const fromA = deliveries.A ?? []
      const fromB = deliveries.B ?? []
      assert.strictEqual(new Set(fromA).size, fromA.length, "A delivered a record twice")
      assert.strictEqual(new Set(fromB).size, fromB.length, "B delivered a record twice")
      assert.isTrue(fromB.length > 0, "B consumed the partitions it was given")
    }).pipe(Effect.provide(clientLayer()))
  )
})
