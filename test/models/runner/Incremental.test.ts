/**
 * Incremental builds equal a full refresh: for any events (from the catalog's arbitraries), any copies of
 * them (client or producer retries, received earlier or later, in either Kafka partition), split into
 * what the lake held at a first run and what arrived before a second, the incremental second run leaves
 * every model as a full refresh over all the data does, and a further run changes nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { enrichedEventArbitrary } from "../../../src/domain/Arbitraries.ts"
import type { EnrichedEvent } from "../../../src/domain/Catalog.ts"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import { runnerLayer, tempDataDir, writeEvents } from "./fixtures.ts"

const Copy = Schema.Struct({
  /** Which event (modulo the number of events). */
  of: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 20 })),
  /** How much later (or earlier) ingest received this copy. */
  delayMs: Schema.Int.check(Schema.isBetween({ minimum: -120_000, maximum: 120_000 })),
  partition: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  /** Arrives before the second run (else before the first). */
  late: Schema.Boolean
})

const Placement = Schema.Struct({
  partition: Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1 })),
  late: Schema.Boolean
})

interface Placed {
  readonly event: EnrichedEvent
  readonly partition: number
  readonly late: boolean
}

const withReceipt = (event: EnrichedEvent, delayMs: number): EnrichedEvent => {
  const received = new Date(Date.parse(event.received_at) + delayMs).toISOString()
  return { ...event, received_at: received }
}

/** Writes the placed events of one phase: per partition, one batch continuing that partition's offsets. */
const writePhase = (placed: ReadonlyArray<Placed>, late: boolean, offsets: Array<number>) =>
  Effect.forEach(
    [0, 1],
    (partition) => {
      const batch = placed.filter((p) => p.late === late && p.partition === partition).map((p) => p.event)
      const first = offsets[partition] ?? 0
      offsets[partition] = first + batch.length
      return writeEvents(partition, first, batch)
    },
    { discard: true }
  )

const snapshot = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return {
    stg: yield* sql`SELECT * FROM stg_events ORDER BY event_id`,
    days: yield* sql`SELECT * FROM int_user_days ORDER BY user_id, event_date`,
    daily: yield* sql`SELECT * FROM fct_daily_activity ORDER BY event_date`
  }
})

describe("incremental models", () => {
  it.effect.prop(
    "an incremental run over old + new data equals a full refresh, and a second run changes nothing",
    {
      events: Arbitrary.array(enrichedEventArbitrary, { minLength: 1, maxLength: 8 }),
      placements: Schema.Array(Placement),
      copies: Schema.Array(Copy)
    },
    ({ events, placements, copies }) =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        const placed: Array<Placed> = events.map((event, i) => ({
          event,
          partition: placements[i]?.partition ?? i % 2,
          late: placements[i]?.late ?? i % 3 === 0
        }))
        for (const copy of copies.slice(0, 8)) {
          const original = events[copy.of % events.length]
          if (original === undefined) continue
          placed.push({ event: withReceipt(original, copy.delayMs), partition: copy.partition, late: copy.late })
        }
        yield* Effect.gen(function* () {
          const runner = yield* ModelRunner
          const offsets = [0, 0]
          yield* writePhase(placed, false, offsets)
          yield* runner.run()
          yield* writePhase(placed, true, offsets)
          const incremental = yield* runner.run()
          assert.deepStrictEqual(
            incremental.results.map((r) => r.status),
            ["success", "success", "success"]
          )
          // Incremental whenever the first run built the table.
          assert.strictEqual(incremental.results[0]?.incremental, true)
          const afterIncremental = yield* snapshot
          yield* runner.run()
          assert.deepStrictEqual(yield* snapshot, afterIncremental, "a second incremental run changed the models")
          yield* runner.run({ fullRefresh: true })
          assert.deepStrictEqual(yield* snapshot, afterIncremental, "incremental differs from a full refresh")
          const sql = yield* SqlClient.SqlClient
          const [ids] = yield* sql<{ n: number }>`SELECT count(DISTINCT event_id)::INTEGER AS n FROM stg_events`
          assert.strictEqual(ids?.n, new Set(events.map((e) => e.event_id)).size)
        }).pipe(Effect.provide(runnerLayer(dataDir)))
      }),
    { arbitrary: { runs: 8 } }
  )
})
