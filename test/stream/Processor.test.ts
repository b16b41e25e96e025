/**
 * The processor end to end on a real embedded broker, kafkajs, Parquet and DuckDB: batch equals stream
 * (guarantee 5: the sessions and closed per-minute counts the stream emits equal what SQL computes from
 * the lake for the same events) and poison records (guarantee 6: dead-lettered, processing goes on).
 */
import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Result, Schema } from "effect"
import type { Kafka as KafkaJs } from "kafkajs"
import { afterAll, beforeAll } from "vitest"
import { enrichedEventArbitrary } from "../../src/domain/Arbitraries.ts"
import type { EnrichedEvent } from "../../src/domain/Catalog.ts"
import { decodeDeadLetterJson } from "../../src/domain/DeadLetter.ts"
import { decodeKpiUpdate, type KpiWindowUpdate } from "../../src/domain/KpiMinute.ts"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { eventsTable, sessionsTable } from "../../src/lake/LakeTable.ts"
import { startBroker, type TestBroker } from "../kafka/fixtures/broker.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"
import {
  createTopics,
  lakeQuery,
  PARTITIONS,
  produceEvents,
  produceMessages,
  readTopic,
  removeTempDirs,
  startProcessor,
  tempDir,
  waitCommitted
} from "./fixtures/pipeline.ts"

let broker: TestBroker
let kafka: KafkaJs

beforeAll(async () => {
  broker = await startBroker({ partitions: PARTITIONS })
  kafka = client(broker.brokers)
  await createTopics(kafka)
})

afterAll(async () => {
  await broker?.close()
  removeTempDirs()
})

const DAY = 86_400_000
/** 2026-11-01T00:00:00Z; run i lives ten days after run i − 1, so earlier runs never make it late. */
const BASE_MS = Date.UTC(2026, 10, 1)

const iso = (ms: number) => new Date(ms).toISOString()

/** The event at time `t` for `user`: generated payload, controlled identity and times. */
const place = (event: EnrichedEvent, user: string, t: number, eventId: string): EnrichedEvent => {
  const { sent_at: _sentAt, ...rest } = event
  return {
    ...rest,
    event_id: eventId,
    user_id: user,
    occurred_at: iso(t),
    occurred_at_corrected: iso(t),
    received_at: iso(t + 1_000)
  }
}

const Item = Schema.Struct({
  user: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 5 })),
  /** Minutes after the run's base: 3 h, so many events arrive behind W (late) and sessions split. */
  minute: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 180 })),
  second: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 59 })),
  /** A copy of the previous event (a client or producer retry). */
  copy: Schema.Boolean
})

const scenario = Arbitrary.array(Arbitrary.all({ event: enrichedEventArbitrary, item: Arbitrary.schema(Item) }), {
  minLength: 1,
  maxLength: 60
})

/** The session rules of ARCHITECTURE.md in SQL over the lake's events: what `int_sessions` will compute. */
const sessionsSql = (relation: string) => `
  WITH RECURSIVE ev AS (
    SELECT user_id, event_id, event_type, epoch_ms(occurred_at_corrected) AS t
    FROM ${relation}
    WHERE NOT is_late AND user_id NOT LIKE 'sentinel%'
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY kafka_partition, kafka_offset) = 1
  ), o AS (
    SELECT *, row_number() OVER (PARTITION BY user_id ORDER BY t, event_id) AS rn FROM ev
  ), walk AS (
    SELECT user_id, rn, t, t AS start_t FROM o WHERE rn = 1
    UNION ALL
    SELECT o.user_id, o.rn, o.t,
      CASE WHEN o.t - w.t > 1800000 OR o.t - w.start_t > 86400000 THEN o.t ELSE w.start_t END
    FROM walk w JOIN o ON o.user_id = w.user_id AND o.rn = w.rn + 1
  )
  SELECT w.user_id, w.start_t::BIGINT AS start_ms, max(w.t)::BIGINT AS end_ms, count(*)::INTEGER AS n,
    arg_min(o.event_type, w.rn) AS first_type, arg_max(o.event_type, w.rn) AS last_type,
    bool_or(o.event_type = 'purchase') AS converted
  FROM walk w JOIN o ON o.user_id = w.user_id AND o.rn = w.rn
  GROUP BY w.user_id, w.start_t
  ORDER BY w.user_id, start_ms`

const streamSessionsSql = (relation: string) => `
  SELECT user_id, epoch_ms(session_start)::BIGINT AS start_ms, epoch_ms(session_end)::BIGINT AS end_ms,
    event_count AS n, first_event_type AS first_type, last_event_type AS last_type, is_converted AS converted
  FROM ${relation}
  WHERE user_id NOT LIKE 'sentinel%'
  ORDER BY user_id, start_ms`

const minutesSql = (relation: string) => `
  WITH ev AS (
    SELECT user_id, epoch_ms(occurred_at_corrected) AS t
    FROM ${relation}
    WHERE NOT is_late AND user_id NOT LIKE 'sentinel%'
    QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY kafka_partition, kafka_offset) = 1
  )
  SELECT (t // 60000 * 60000)::BIGINT AS minute, count(*)::INTEGER AS events, count(DISTINCT user_id)::INTEGER AS users
  FROM ev GROUP BY minute ORDER BY minute`

/** Closed windows from kpi_minute, upserted by (minute, partition) and summed over partitions. */
const closedMinutes = (values: ReadonlyArray<string>) => {
  const latest = new Map<string, KpiWindowUpdate>()
  for (const value of values) {
    const update = Result.getOrThrow(decodeKpiUpdate(value))
    if (update.kind === "window" && update.closed) latest.set(`${update.minuteStartMs}:${update.partition}`, update)
  }
  const byMinute = new Map<number, { events: number; users: number; sessions: number }>()
  for (const update of latest.values()) {
    const m = byMinute.get(update.minuteStartMs) ?? { events: 0, users: 0, sessions: 0 }
    m.events += update.measures.events
    m.users += update.measures.distinctUsers
    m.sessions += update.measures.sessionsStarted
    byMinute.set(update.minuteStartMs, m)
  }
  return byMinute
}

let run = 0

describe("stream processor", () => {
  it.effect.prop(
    "batch equals stream: closed sessions and closed minutes equal the SQL over the lake (guarantee 5)",
    { items: scenario },
    ({ items }) =>
      Effect.promise(async () => {
        const base = BASE_MS + run * 10 * DAY
        run++
        const events: Array<EnrichedEvent> = []
        for (const { event, item } of items) {
          const previous = events[events.length - 1]
          if (item.copy && previous !== undefined) events.push(previous)
          else {
            const t = base + item.minute * 60_000 + item.second * 1_000
            events.push(place(event, `user-${item.user}`, t, randomUUID()))
          }
        }
        // Far ahead in every partition: W passes every session and window of this run.
        const template = events[0]
        assert.isDefined(template)
        if (template === undefined) return
        const sentinels = Array.from({ length: PARTITIONS }, (_, p) => ({
          partition: p,
          key: `sentinel-${p}`,
          value: JSON.stringify(place(template, `sentinel-${p}`, base + 5 * DAY, randomUUID()))
        }))
        // Only this run's processor's updates: earlier ones saw other batch splits, so other late flags.
        const kpiBefore = (await readTopic(kafka, TopicNames.kpiMinute)).length
        const dataDir = tempDir("stream-prop")
        const processor = await startProcessor({ brokers: broker.brokers, dataDir, groupId: `prop-${randomUUID()}` })
        // In four parts, each processed before the next arrives: several micro-batches, W moving between them.
        const part = Math.ceil(events.length / 4)
        for (let i = 0; i < events.length; i += part) {
          await produceEvents(kafka, events.slice(i, i + part))
          await waitCommitted(kafka, [processor])
        }
        await produceMessages(kafka, sentinels)
        await waitCommitted(kafka, [processor])
        await processor.close()

        const lake = lakeQuery(dataDir)
        try {
          const expected = await lake.query(eventsTable, sessionsSql)
          const actual = await lake.query(sessionsTable, streamSessionsSql)
          assert.deepStrictEqual(actual, expected)

          const minutes = await lake.query(eventsTable, minutesSql)
          const sessionStarts = new Map<number, number>()
          for (const s of expected) {
            const minute = Math.floor(Number(s.start_ms) / 60_000) * 60_000
            sessionStarts.set(minute, (sessionStarts.get(minute) ?? 0) + 1)
          }
          const closed = closedMinutes((await readTopic(kafka, TopicNames.kpiMinute)).slice(kpiBefore))
          const streamed = [...closed]
            // Earlier runs' sentinel minutes, which this run's sentinels closed.
            .filter(([minute]) => (minute - BASE_MS) % (10 * DAY) !== 5 * DAY)
            .sort(([a], [b]) => a - b)
            .map(([minute, m]) => [minute, m.events, m.users, m.sessions])
          assert.deepStrictEqual(
            streamed,
            minutes.map((m) => [Number(m.minute), m.events, m.users, sessionStarts.get(Number(m.minute)) ?? 0])
          )
        } finally {
          await lake.close()
        }
      }),
    { arbitrary: { runs: 5 }, timeout: 80_000 }
  )

  it.effect(
    "KPI records name the partitions events_raw has on the cluster, whatever LAUNCHPAD_PARTITIONS says",
    () =>
      Effect.promise(async () => {
        const [sample] = await Effect.runPromise(Arbitrary.sampleEffect(enrichedEventArbitrary, { count: 1 }))
        assert.isDefined(sample)
        if (sample === undefined) return
        const t = BASE_MS + 300 * DAY
        // One event in every partition, so every partition reports progress.
        await produceMessages(
          kafka,
          Array.from({ length: PARTITIONS }, (_, p) => ({
            partition: p,
            key: `user-count-${p}`,
            value: JSON.stringify(place(sample, `user-count-${p}`, t, randomUUID()))
          }))
        )
        const kpiBefore = (await readTopic(kafka, TopicNames.kpiMinute)).length
        // The topic was made with PARTITIONS; this processor's setting says fewer (another cluster's topic).
        const processor = await startProcessor({
          brokers: broker.brokers,
          dataDir: tempDir("stream-partitions"),
          groupId: `partitions-${randomUUID()}`,
          partitionsSetting: 1
        })
        await waitCommitted(kafka, [processor])
        await processor.close()

        const updates = (await readTopic(kafka, TopicNames.kpiMinute))
          .slice(kpiBefore)
          .map((v) => Result.getOrThrow(decodeKpiUpdate(v)))
        const progress = new Set(updates.filter((u) => u.kind === "progress").map((u) => u.partition))
        assert.deepStrictEqual(
          [...progress].sort(),
          Array.from({ length: PARTITIONS }, (_, p) => p)
        )
        assert.isTrue(updates.every((u) => u.partitions === PARTITIONS))
      }),
    60_000
  )

  it.effect(
    "a non-JSON or schema-invalid record goes to events_deadletter and processing continues (guarantee 6)",
    () =>
      Effect.promise(async () => {
        const before = (await readTopic(kafka, TopicNames.eventsDeadletter)).length
        const [sample] = await Effect.runPromise(Arbitrary.sampleEffect(enrichedEventArbitrary, { count: 1 }))
        assert.isDefined(sample)
        if (sample === undefined) return
        const good = place(sample, "user-poison", BASE_MS + 400 * DAY, randomUUID())
        await produceMessages(kafka, [
          { key: "user-poison", value: "{not json" },
          { key: "user-poison", value: JSON.stringify({ event_type: "page_view", user_id: "user-poison" }) },
          { key: "user-poison", value: JSON.stringify(good) }
        ])
        const dataDir = tempDir("stream-poison")
        const processor = await startProcessor({ brokers: broker.brokers, dataDir, groupId: `poison-${randomUUID()}` })
        await waitCommitted(kafka, [processor])
        await processor.close()

        const letters = (await readTopic(kafka, TopicNames.eventsDeadletter))
          .slice(before)
          .map((v) => Result.getOrThrow(decodeDeadLetterJson(v)))
        assert.deepStrictEqual(
          letters.map((l) => [l.source, l.reason, l.raw.slice(0, 9)]),
          [
            ["stream", "invalid_json", "{not json"],
            ["stream", "missing_field", '{"event_t']
          ]
        )
        assert.isTrue(letters.every((l) => l.origin?.topic === TopicNames.eventsRaw))
        const lake = lakeQuery(dataDir)
        try {
          const rows = await lake.query(eventsTable, (r) => `SELECT event_id FROM ${r} WHERE user_id = 'user-poison'`)
          assert.deepStrictEqual(
            rows.map((r) => r.event_id),
            [good.event_id]
          )
        } finally {
          await lake.close()
        }
      }),
    60_000
  )
})
