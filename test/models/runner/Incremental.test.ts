/**
 * Incremental builds equal a full refresh, for every model of the project: for any events (from the
 * catalog's arbitraries, re-keyed onto a few users close in time so that sessions, funnels and
 * retention have something to join), identify events that link some of those users to others (so the
 * identity map changes between runs), and any copies of the events (client or producer retries,
 * received earlier or later, in either Kafka partition), split into what the lake held at a first run
 * and what arrived before a second, the incremental second run leaves every model as a full refresh
 * over all the data does, and a further run changes nothing (an identify can merge a user into another,
 * so users also disappear). The one stateful model,
 * mart_user_segments, keeps history between runs by design: its current columns are compared, its
 * history columns are not (their behaviour is tested in the marts tests).
 */
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { enrichedEventArbitrary } from "../../../src/domain/Arbitraries.ts"
import type { EnrichedEvent } from "../../../src/domain/Catalog.ts"
import { LOADED_AT } from "../../../src/models/runner/Model.ts"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import { modelDeclarations } from "../../../src/models/sql/index.ts"
import { runnerLayer, tempDataDir, uuid, writeEvents } from "./fixtures.ts"

const MINUTE = 60_000
const BASE = Date.UTC(2026, 2, 1)

const int = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/** Where an event lands: its user, its time (minutes after BASE), its partition and its phase. */
const Placement = Schema.Struct({
  user: int(0, 4),
  minute: int(0, 3 * 24 * 60),
  partition: int(0, 1),
  /** Arrives before the second run (else before the first). */
  late: Schema.Boolean
})

const Copy = Schema.Struct({
  /** Which event (modulo the number of events). */
  of: int(0, 40),
  /** How much later (or earlier) ingest received this copy. */
  delayMs: int(-120_000, 120_000),
  partition: int(0, 1),
  late: Schema.Boolean
})

/** An identify event linking anonymous user `anonymous` to user `user`. */
const Link = Schema.Struct({ anonymous: int(0, 4), user: int(5, 6), minute: int(0, 3 * 24 * 60), late: Schema.Boolean })

interface Placed {
  readonly event: EnrichedEvent
  readonly partition: number
  readonly late: boolean
}

const iso = (ms: number) => new Date(ms).toISOString()

const placeAt = (event: EnrichedEvent, user: number, atMs: number): EnrichedEvent => ({
  ...event,
  user_id: `u${user}`,
  occurred_at: iso(atMs),
  occurred_at_corrected: iso(atMs),
  received_at: iso(atMs + 1000)
})

const identify = (i: number, link: typeof Link.Type): EnrichedEvent => ({
  event_type: "identify",
  schema_version: 1,
  event_id: uuid(1_000_000 + i),
  user_id: `u${link.user}`,
  anonymous_id: `u${link.anonymous}`,
  session_id: "s-identify",
  occurred_at: iso(BASE + link.minute * MINUTE),
  occurred_at_corrected: iso(BASE + link.minute * MINUTE),
  received_at: iso(BASE + link.minute * MINUTE + 1000),
  request_id: "req-identify",
  context: { device_type: "desktop" },
  properties: { traits: {} }
})

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

/** History kept between runs by design (mart_user_segments). */
const HISTORY = [
  "previous_segment",
  "segment_since",
  "previous_run_segment",
  "previous_run_as_of_date",
  "changed_in_last_run"
]

/**
 * Every model's rows, in a total order; the stateful model without its history columns and, when
 * `withLoadedAt` is false, without `_loaded_at` (which run wrote a row differs between an incremental
 * run and a full refresh by design).
 */
const snapshot = (withLoadedAt: boolean) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const tables: Record<string, ReadonlyArray<unknown>> = {}
    for (const { name } of modelDeclarations) {
      const left = [...(name === "mart_user_segments" ? HISTORY : []), ...(withLoadedAt ? [] : [LOADED_AT])]
      const columns = `COLUMNS(c -> c NOT IN (${left.map((c) => `'${c}'`).join(", ") || "''"}))`
      tables[name] = yield* sql.unsafe(`SELECT ${columns} FROM "${name}" ORDER BY ALL`)
    }
    return tables
  })

describe("incremental models", () => {
  it.effect.prop(
    "an incremental run over old + new data equals a full refresh, and a second run changes nothing",
    {
      events: Arbitrary.array(enrichedEventArbitrary, { minLength: 1, maxLength: 20 }),
      placements: Schema.Array(Placement),
      copies: Schema.Array(Copy),
      links: Schema.Array(Link)
    },
    ({ events, placements, copies, links }) =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        const placed: Array<Placed> = events.map((event, i) => {
          const p = placements[i] ?? { user: i % 5, minute: i * 17, partition: i % 2, late: i % 3 === 0 }
          return { event: placeAt(event, p.user, BASE + p.minute * MINUTE), partition: p.partition, late: p.late }
        })
        for (const copy of copies.slice(0, 10)) {
          const original = placed[copy.of % placed.length]
          if (original === undefined) continue
          placed.push({
            event: withReceipt(original.event, copy.delayMs),
            partition: copy.partition,
            late: copy.late
          })
        }
        links.slice(0, 3).forEach((link, i) => {
          placed.push({ event: identify(i, link), partition: link.user % 2, late: link.late })
        })
        yield* Effect.gen(function* () {
          const runner = yield* ModelRunner
          const offsets = [0, 0]
          yield* writePhase(placed, false, offsets)
          yield* runner.run()
          yield* writePhase(placed, true, offsets)
          const incremental = yield* runner.run()
          assert.deepStrictEqual(
            incremental.results.filter((r) => r.status !== "success").map((r) => [r.model, r.message]),
            []
          )
          // Incremental whenever the first run built the table (the first run may have had no rows).
          const incrementalModels = modelDeclarations.filter((d) => d.materialized === "incremental").map((d) => d.name)
          assert.deepStrictEqual(
            incremental.results
              .filter((r) => r.incremental)
              .map((r) => r.model)
              .sort(),
            incrementalModels.sort()
          )
          const afterIncremental = yield* snapshot(true)
          yield* runner.run()
          const afterSecond = yield* snapshot(true)
          for (const { name } of modelDeclarations) {
            assert.deepStrictEqual(
              afterSecond[name],
              afterIncremental[name],
              `a second incremental run changed ${name}`
            )
          }
          const withoutLoadedAt = yield* snapshot(false)
          yield* runner.run({ fullRefresh: true })
          assert.deepStrictEqual(yield* snapshot(false), withoutLoadedAt, "incremental differs from a full refresh")
          const sql = yield* SqlClient.SqlClient
          const [ids] = yield* sql<{ n: number }>`SELECT count(DISTINCT event_id)::INTEGER AS n FROM stg_events`
          assert.strictEqual(ids?.n, new Set(placed.map((p) => p.event.event_id)).size)
        }).pipe(Effect.provide(runnerLayer(dataDir)))
      }),
    { arbitrary: { runs: 6 } }
  )
})
