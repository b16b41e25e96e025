/**
 * `dlq replay`: dead letters that pass today's validation move to events_raw exactly once, across
 * repeated runs; those that still fail stay eligible; truncated ones are never replayed.
 */
import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { afterAll, beforeAll } from "vitest"
import { type DeadLetterRecord, encodeDeadLetter } from "../../src/domain/DeadLetter.ts"
import { Settings } from "../../src/domain/Settings.ts"
import { DeadLetterReplay, REPLAY_LEDGER_TOPIC } from "../../src/ingest/server/DeadLetterReplay.ts"
import { EventConsumer } from "../../src/kafka/EventConsumer.ts"
import { EventProducer } from "../../src/kafka/EventProducer.ts"
import { Kafka } from "../../src/kafka/Kafka.ts"
import { TopicNames, Topics } from "../../src/kafka/Topics.ts"
import { postJson, readTopics, startIngest, type TestIngest, validEvent } from "./fixtures.ts"

let ingest: TestIngest

beforeAll(async () => {
  ingest = await startIngest()
})
afterAll(() => ingest.close())

const letter = (raw: unknown, overrides: Partial<DeadLetterRecord> = {}): DeadLetterRecord => ({
  reason: "schema_violation",
  path: "$",
  message: "refused by an older schema",
  source: "ingest",
  raw: JSON.stringify(raw),
  raw_truncated: false,
  raw_bytes: JSON.stringify(raw).length,
  event_id: typeof raw === "object" && raw !== null && "event_id" in raw ? String(raw.event_id) : null,
  event_type: "quiz_started",
  index: 0,
  received_at: new Date().toISOString(),
  request_id: `req-${randomUUID()}`,
  write_key_id: null,
  origin: null,
  ...overrides
})

const replayLayer = () =>
  DeadLetterReplay.layer.pipe(
    Layer.provide([EventConsumer.layer, EventProducer.layerWith({ lingerMs: 1 })]),
    Layer.provide(Topics.layer),
    Layer.provide(Kafka.layerWith(ingest.broker().brokers)),
    Layer.provide(Settings.layerWith({}))
  )

const replay = (reason: Option.Option<DeadLetterRecord["reason"]> = Option.none()) =>
  Effect.gen(function* () {
    const replayer = yield* DeadLetterReplay
    return yield* replayer.replay({ reason, since: Option.none() })
  }).pipe(Effect.provide(replayLayer()))

describe("dlq replay", () => {
  it.live("moves fixed events to events_raw once, across repeated runs", () =>
    Effect.gen(function* () {
      // Refused by an earlier schema, valid now.
      const fixed = validEvent()
      // Refused as more than 24 h ahead when it arrived; by now it is in range.
      const nowInRange = validEvent({ occurred_at: new Date(Date.now() - 3_600_000).toISOString() })
      const stillBad = validEvent({ event_type: "quiz_exploded" })
      const truncated = validEvent()
      const letters = [
        letter(fixed),
        letter(nowInRange, { reason: "timestamp_out_of_range", path: "$.occurred_at" }),
        // The same event dead-lettered again: a client retried its batch after a 503.
        letter(fixed),
        letter(stillBad, { reason: "unknown_event_type" }),
        letter(truncated, { raw_truncated: true })
      ]
      const producer = ingest.kafka.producer()
      yield* Effect.promise(async () => {
        await producer.connect()
        await producer.send({
          topic: TopicNames.eventsDeadletter,
          acks: -1,
          messages: letters.map((l) => ({ key: l.event_id, value: encodeDeadLetter(l) }))
        })
        await producer.disconnect()
      })
      // And one refused by the running server, which still fails today.
      const viaHttp = yield* Effect.promise(() =>
        postJson(ingest.baseUrl, "/api/v1/events", validEvent({ schema_version: 7 }))
      )
      assert.strictEqual((viaHttp.json as { rejected: number }).rejected, 1)

      const onlyReason = yield* replay(Option.some("timestamp_out_of_range"))
      assert.strictEqual(onlyReason.matched, 1)
      assert.strictEqual(onlyReason.moved, 1)

      const first = yield* replay()
      assert.strictEqual(first.examined, 6)
      assert.strictEqual(first.alreadyReplayed, 1)
      assert.strictEqual(first.moved, 1)
      assert.strictEqual(first.duplicates, 1)
      assert.strictEqual(first.stillFailing, 2)
      assert.strictEqual(first.truncated, 1)

      const second = yield* replay()
      assert.strictEqual(second.moved, 0)
      assert.strictEqual(second.alreadyReplayed, 3)
      assert.strictEqual(second.stillFailing, 2)

      const raw = yield* Effect.promise(() => readTopics(ingest.kafka, [TopicNames.eventsRaw]))
      const count = (id: unknown) =>
        raw.filter((r) => (JSON.parse(r.value) as { event_id: string }).event_id === id).length
      assert.strictEqual(count(fixed.event_id), 1)
      assert.strictEqual(count(nowInRange.event_id), 1)
      assert.strictEqual(count(stillBad.event_id), 0)
      assert.strictEqual(count(truncated.event_id), 0)
      const moved = raw.find((r) => r.value.includes(String(fixed.event_id)))
      assert.strictEqual(moved?.key, fixed.user_id)
      const ledger = yield* Effect.promise(() => readTopics(ingest.kafka, [REPLAY_LEDGER_TOPIC]))
      assert.strictEqual(ledger.length, 3)
    })
  )
})
