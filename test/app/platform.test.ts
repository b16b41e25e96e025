/**
 * The composition root's platform layer (src/app/Roles.ts): it alone decides between the embedded
 * broker and a cluster, and what it provides works end to end.
 */
import { randomUUID } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Stream } from "effect"
import { platform, StartedParts } from "../../src/app/Roles.ts"
import { EventConsumer } from "../../src/kafka/EventConsumer.ts"
import { EventProducer } from "../../src/kafka/EventProducer.ts"
import { Kafka } from "../../src/kafka/Kafka.ts"
import { TopicNames, Topics } from "../../src/kafka/Topics.ts"
import { startBroker, type TestBroker } from "../kafka/fixtures/broker.ts"

const dirs: Array<string> = []
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "launchpad-platform-"))
  dirs.push(dir)
  return dir
}

let broker: TestBroker
beforeAll(async () => {
  broker = await startBroker()
})
afterAll(async () => {
  await broker?.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** The platform as a role builds it, reading `env` as the process would. */
const platformWith = (env: Record<string, string>) =>
  platform.pipe(
    Layer.provide(StartedParts.layer),
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env, preserveEmptyStrings: true })))
  )

describe("platform", () => {
  it.live("KAFKA_BROKERS unset: the embedded broker, topics bootstrapped, producer and consumer work end to end", () =>
    Effect.gen(function* () {
      const kafka = yield* Kafka
      assert.isTrue(kafka.embedded)
      assert.match(kafka.brokers[0] ?? "", /^127\.0\.0\.1:\d+$/)
      const topics = yield* Topics
      assert.deepStrictEqual((yield* topics.ready).created.length, 3)
      const producer = yield* EventProducer
      const [ack] = yield* producer.publish(TopicNames.kpiMinute, [{ key: "2026-01-01T00:00", value: "{}" }])
      assert.strictEqual(ack?.partition, 0)
      const consumer = yield* EventConsumer
      const [batch] = yield* Stream.runCollect(
        consumer
          .group({ groupId: `g-${randomUUID()}`, topics: [TopicNames.kpiMinute], maxWaitTimeMs: 200 })
          .batches.pipe(Stream.take(1))
      )
      assert.strictEqual(batch?.messages[0]?.key, "2026-01-01T00:00")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(EventProducer.layer, EventConsumer.layer).pipe(
          Layer.provideMerge(platformWith({ BROKER_PORT: "0", LAUNCHPAD_DATA_DIR: tempDir() }))
        )
      )
    )
  )

  it.live("KAFKA_BROKERS set: that cluster, no embedded broker", () =>
    Effect.gen(function* () {
      const kafka = yield* Kafka
      assert.isFalse(kafka.embedded)
      assert.deepStrictEqual(kafka.brokers, broker.brokers)
    }).pipe(Effect.provide(platformWith({ KAFKA_BROKERS: broker.brokers.join(","), LAUNCHPAD_DATA_DIR: tempDir() })))
  )
})
