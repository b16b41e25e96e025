/**
 * Batch = stream for sessions (ARCHITECTURE.md, guarantee 5): the same catalog events, in any arrival order (late
 * stragglers and retried copies included), go through the stream core (src/stream: late flags, dedup,
 * sessionization, in micro-batches) whose lake rows and closed sessions are written by the real lake
 * writers; int_sessions, computed by the models from lake/events, must equal lake/sessions column for
 * column. First the boundaries by hand (a gap of exactly 30 minutes, one of 30 minutes and 1 ms, the
 * 24-hour cap), then generated event sets.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import type { EnrichedEvent } from "../../../src/domain/Catalog.ts"
import type { SessionRecord } from "../../../src/domain/SessionRecord.ts"
import { SESSION_GAP_MS, SESSION_MAX_MS } from "../../../src/domain/SessionRecord.ts"
import { EventFileWriter } from "../../../src/lake/EventFileWriter.ts"
import type { EventLakeRow } from "../../../src/lake/LakeTable.ts"
import { SessionFileWriter } from "../../../src/lake/SessionFileWriter.ts"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import { closeAll, defaultStreamRules, processBatch } from "../../../src/stream/Batch.ts"
import { toStreamEvent } from "../../../src/stream/Input.ts"
import { emptyState } from "../../../src/stream/State.ts"
import { runnerLayer, tempDataDir } from "../runner/fixtures.ts"
import { event, HOUR, MINUTE, pageView, purchase } from "./fixtures.ts"

const BASE = Date.UTC(2026, 2, 2)

interface Arrival {
  readonly event: EnrichedEvent
  /** When the processor sees it; arrivals are processed in this order. */
  readonly arrivesAtMs: number
}

const SESSION_COLUMNS = `session_key, user_id, session_start, session_end, event_count, first_event_type,
  last_event_type, device_type, utm_source, utm_medium, utm_campaign, is_bounce, is_converted, kafka_partition`

/**
 * Feeds the arrivals (sorted by arrival time, received_at = arrival) to the stream core in batches
 * of the given sizes, each user's events on partition user % 2 with offsets in arrival order; writes
 * every batch's lake rows with the event writer and, after a final flush, the closed sessions with the
 * session writer. Returns the sessions and how many rows were late.
 */
const stream = (arrivals: ReadonlyArray<Arrival>, batchSizes: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const events = yield* EventFileWriter
    const sessionsWriter = yield* SessionFileWriter
    const ordered = [...arrivals]
      .sort((a, b) => a.arrivesAtMs - b.arrivesAtMs)
      .map((a) => ({ ...a.event, received_at: new Date(a.arrivesAtMs).toISOString() }))
    const offsets = [0, 0]
    const inputs = ordered.map((e) => {
      const partition = Number(e.user_id.slice(1)) % 2
      const offset = offsets[partition] ?? 0
      offsets[partition] = offset + 1
      return toStreamEvent(e, partition, BigInt(offset))
    })
    let state = emptyState()
    const sessions: Array<SessionRecord> = []
    let late = 0
    let processed = 0
    for (let i = 0; processed < inputs.length; i++) {
      const size = batchSizes[i % batchSizes.length] ?? 1
      const batch = inputs.slice(processed, processed + size)
      processed += batch.length
      const result = processBatch(state, batch, { ...defaultStreamRules, processingTimeMs: BASE + i })
      state = result.state
      sessions.push(...result.closedSessions)
      late += result.metrics.late
      for (const partition of [0, 1]) {
        const rows: Array<EventLakeRow> = result.lakeRows
          .filter((r) => r.event.partition === partition)
          .map((r) => ({
            ...r.event.lake,
            kafkaPartition: partition,
            kafkaOffset: r.event.offset,
            isLate: r.isLate,
            processedAtMs: BASE + i
          }))
        const first = rows[0]
        const last = rows[rows.length - 1]
        if (first === undefined || last === undefined) continue
        yield* events.write({
          topic: "events_raw",
          partition,
          firstOffset: first.kafkaOffset,
          lastOffset: last.kafkaOffset,
          rows
        })
      }
    }
    sessions.push(...closeAll(state, defaultStreamRules).closedSessions)
    for (const partition of [0, 1]) {
      const closed = sessions.filter((s) => s.partition === partition)
      if (closed.length === 0) continue
      yield* sessionsWriter.write({
        topic: "events_raw",
        partition,
        firstOffset: 0,
        lastOffset: offsets[partition] ?? 0,
        rows: closed.map(({ partition: kafkaPartition, ...session }) => ({
          ...session,
          kafkaPartition,
          processedAtMs: BASE
        }))
      })
    }
    return { sessions, late }
  })

/** Streams the arrivals, runs the session models, and returns int_sessions and stg_sessions. */
const batchAndStream = (arrivals: ReadonlyArray<Arrival>, batchSizes: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const dataDir = yield* tempDataDir
    return yield* Effect.gen(function* () {
      const streamed = yield* stream(arrivals, batchSizes)
      const run = yield* (yield* ModelRunner).run({ select: "+int_sessions stg_sessions" })
      assert.deepStrictEqual(
        run.results.filter((r) => r.status !== "success").map((r) => r.message),
        []
      )
      const sql = yield* SqlClient.SqlClient
      const model = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT ${SESSION_COLUMNS} FROM int_sessions ORDER BY session_key`
      )
      const lake = yield* sql.unsafe<Record<string, unknown>>(
        `SELECT ${SESSION_COLUMNS} FROM stg_sessions ORDER BY session_key`
      )
      const tested = yield* (yield* ModelRunner).test({ select: "int_sessions" })
      const equality = tested.tests.find((t) => t.testId === "singular.int_sessions.equals_stream_sessions")
      return { ...streamed, model, lake, equalityTest: equality?.status }
    }).pipe(Effect.provide(runnerLayer(dataDir)))
  })

const onTime = (event: EnrichedEvent): Arrival => ({
  event,
  arrivesAtMs: Date.parse(event.occurred_at_corrected) + 1000
})

describe("int_sessions = the stream's sessions", () => {
  it.effect("the boundaries by hand: a gap of exactly 30 min continues, 30 min + 1 ms splits; the 24 h cap", () =>
    Effect.gen(function* () {
      const t = BASE + 8 * HOUR
      // u0: t, t + 30 min (exactly the gap: same session), t + 60 min + 1 ms (30 min 1 ms later: new).
      // u1 (a marathon): an event every 30 min from t for 25 h: 51 events. The session from t takes the
      // events up to t + 24 h (49 events: 24 h is not more than the cap), t + 24 h 30 min starts the next.
      const u0 = [t, t + SESSION_GAP_MS, t + 2 * SESSION_GAP_MS + 1].map((at) => onTime(pageView({ user: "u0", at })))
      const u1 = Array.from({ length: 51 }, (_, i) => onTime(pageView({ user: "u1", at: t + i * SESSION_GAP_MS })))
      const result = yield* batchAndStream([...u0, ...u1], [7])
      assert.deepStrictEqual(
        result.model.map((s) => [s.session_key, s.event_count]),
        [
          [`u0:${t}`, 2],
          [`u0:${t + 2 * SESSION_GAP_MS + 1}`, 1],
          [`u1:${t}`, 49],
          [`u1:${t + SESSION_MAX_MS + SESSION_GAP_MS}`, 2]
        ]
      )
      assert.deepStrictEqual(result.model, result.lake)
      assert.strictEqual(result.equalityTest, "pass")
    })
  )

  const int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))
  const Spec = Schema.Struct({
    user: int(0, 3),
    /** Users are active in bursts of 25 minutes that start 40 minutes apart: gaps on both sides of 30 min. */
    burst: int(0, 5),
    minuteInBurst: int(0, 24),
    offsetMs: Schema.Literals([0, 1, 30_000, 59_999]),
    kind: Schema.Literals(["page_view", "quiz_started", "product_viewed", "purchase"]),
    device: Schema.Literals(["desktop", "mobile"]),
    utm: Schema.Boolean,
    /** Arrival trails event time by this fraction (‰) of the 10-minute watermark delay. */
    jitter: int(0, 999),
    /** 9: arrives hours late (a straggler the stream flags late). */
    straggler: int(0, 9),
    stragglerMinutes: int(11, 240),
    /** 9: a retry of the event arrives again later. */
    copies: int(0, 9),
    copyDelayMinutes: int(0, 60)
  })

  const arrivalsOf = (specs: ReadonlyArray<typeof Spec.Type>, marathon: number): Array<Arrival> =>
    specs
      .flatMap((spec, i) => {
        const at = BASE + (spec.burst * 40 + spec.minuteInBurst) * MINUTE + spec.offsetMs
        const envelope = {
          user: `u${spec.user}`,
          at,
          device: spec.device,
          ...(spec.utm ? { utm: { source: "google", campaign: "spring" } } : {})
        }
        const generated =
          spec.kind === "page_view"
            ? pageView(envelope)
            : spec.kind === "quiz_started"
              ? event("quiz_started", { quiz_id: "q" }, envelope)
              : spec.kind === "product_viewed"
                ? event("product_viewed", { product_id: "p", price: 10, currency: "CHF" }, envelope)
                : purchase(envelope, { orderId: `o${i}`, revenue: 10, currency: "CHF" })
        const arrivesAtMs =
          at + Math.floor((spec.jitter * 600_000) / 1000) + (spec.straggler === 9 ? spec.stragglerMinutes * MINUTE : 0)
        const copy =
          spec.copies === 9 ? [{ event: generated, arrivesAtMs: arrivesAtMs + spec.copyDelayMinutes * MINUTE + 1 }] : []
        return [{ event: generated, arrivesAtMs }, ...copy]
      })
      .concat(
        // u4 runs a marathon: an event every `marathon` minutes for 26 h, so the 24-hour cap cuts it.
        marathon === 0
          ? []
          : Array.from({ length: Math.ceil((26 * 60) / marathon) }, (_, i) =>
              onTime(pageView({ user: "u4", at: BASE + i * marathon * MINUTE }))
            )
      )

  it.effect.prop(
    "for generated events in any arrival order, batch split, retries and stragglers",
    {
      specs: Arbitrary.array(Arbitrary.schema(Spec), { minLength: 20, maxLength: 60 }),
      batchSizes: Arbitrary.array(Arbitrary.schema(int(1, 15)), { minLength: 1, maxLength: 6 }),
      marathon: Arbitrary.schema(Schema.Literals([0, 20, 29, 30]))
    },
    ({ specs, batchSizes, marathon }) =>
      Effect.gen(function* () {
        const result = yield* batchAndStream(arrivalsOf(specs, marathon), batchSizes)
        assert.isAbove(result.lake.length, 0)
        assert.strictEqual(result.lake.length, result.sessions.length)
        assert.deepStrictEqual(result.model, result.lake)
        assert.strictEqual(result.equalityTest, "pass")
      }),
    { arbitrary: { runs: 10 } }
  )
})
