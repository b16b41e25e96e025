/**
 * The model runner on a real lake (written by the lake writer) and a real warehouse file: the example
 * models against hand-worked numbers, incremental builds, the run log and manifest, a failing model
 * (its descendants skipped, its previous table still readable), atomic table swaps under readers, and
 * runs that never overlap.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { TestClock } from "effect/testing"
import { Compaction } from "../../../src/lake/Compaction.ts"
import { notNull, unique } from "../../../src/models/runner/Model.ts"
import { ModelDocs } from "../../../src/models/runner/ModelDocs.ts"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import {
  DAY_MS,
  HOUR_MS,
  model,
  pageView,
  runnerLayer,
  tempDataDir,
  uuid,
  writeEvents,
  writeProject
} from "./fixtures.ts"

const D = Date.UTC(2026, 1, 3)
const MIN = 60_000
const utcDay = (ms: number) => new Date(ms)

/**
 * Day D: ada has id1 (10:00, desktop) and id2 (10:05, mobile) in session s1; bob has id3 (23:59:59,
 * tablet). id1 arrives twice (the copy 2 s later, partition 0 offset 3); id2 was received at 10:07, its
 * copy in partition 1 at 10:06, so that copy is the one kept.
 * Day D+1: bob id4 (00:00:01, mobile), cy id5 (09:00), ada id6 (12:00, received 12:30).
 */
const firstBatch = Effect.gen(function* () {
  yield* writeEvents(0, 0, [
    pageView({ id: uuid(1), user: "ada", at: D + 10 * HOUR_MS, session: "s1" }),
    pageView({
      id: uuid(2),
      user: "ada",
      at: D + 10 * HOUR_MS + 5 * MIN,
      receivedAt: D + 10 * HOUR_MS + 7 * MIN,
      session: "s1",
      device: "mobile"
    }),
    pageView({ id: uuid(3), user: "bob", at: D + DAY_MS - 1000, session: "s2", device: "tablet" }),
    pageView({ id: uuid(1), user: "ada", at: D + 10 * HOUR_MS, receivedAt: D + 10 * HOUR_MS + 2000, session: "s1" })
  ])
  yield* writeEvents(1, 0, [
    pageView({ id: uuid(4), user: "bob", at: D + DAY_MS + 1000, session: "s3", device: "mobile" }),
    pageView({ id: uuid(5), user: "cy", at: D + DAY_MS + 9 * HOUR_MS, session: "s4" }),
    pageView({
      id: uuid(6),
      user: "ada",
      at: D + DAY_MS + 12 * HOUR_MS,
      receivedAt: D + DAY_MS + 12.5 * HOUR_MS,
      session: "s5"
    }),
    pageView({
      id: uuid(2),
      user: "ada",
      at: D + 10 * HOUR_MS + 5 * MIN,
      receivedAt: D + 10 * HOUR_MS + 6 * MIN,
      session: "s1",
      device: "mobile"
    })
  ])
})

/**
 * Later, partition 0 offsets 4–6: cy id7 (D+1 13:00); a copy of id5 received an hour after the
 * original (the original stays); a copy of id6 received at 12:10, before the original (this copy wins now).
 */
const secondBatch = writeEvents(0, 4, [
  pageView({ id: uuid(7), user: "cy", at: D + DAY_MS + 13 * HOUR_MS, session: "s6" }),
  pageView({
    id: uuid(5),
    user: "cy",
    at: D + DAY_MS + 9 * HOUR_MS,
    receivedAt: D + DAY_MS + 10 * HOUR_MS,
    session: "s4"
  }),
  pageView({
    id: uuid(6),
    user: "ada",
    at: D + DAY_MS + 12 * HOUR_MS,
    receivedAt: D + DAY_MS + 12 * HOUR_MS + 10 * MIN,
    session: "s5"
  })
])

/** The worked examples and their ancestors (the project has more models; these tests are about the runner). */
const EXAMPLES = "+fct_daily_activity"

const kept = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  return yield* sql<{ id: string; partition: number; offset: number }>`SELECT right(event_id, 1) AS id,
    kafka_partition AS partition, kafka_offset AS offset FROM stg_events ORDER BY event_id`
})

describe("model runner on the example models", () => {
  it.effect("stg_events, int_user_days and fct_daily_activity match hand-worked numbers, full and incremental", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const runner = yield* ModelRunner
        yield* firstBatch
        const first = yield* runner.run({ select: EXAMPLES })
        assert.deepStrictEqual(
          first.results.map((r) => [r.model, r.status, r.incremental, r.rows, r.rowsAffected]),
          [
            ["stg_events_deduplicated", "success", false, 6, 6],
            ["stg_identities", "success", false, 0, 0],
            ["stg_events", "success", false, null, null],
            ["int_user_days", "success", false, 5, 5],
            ["fct_daily_activity", "success", false, 2, 2]
          ]
        )
        assert.deepStrictEqual(
          [first.run.status, first.run.succeeded, first.run.failed, first.run.skipped],
          ["success", 5, 0, 0]
        )
        // id1: the first copy (p0 o0); id2: the copy received first (p1 o3).
        assert.deepStrictEqual(yield* kept, [
          { id: "1", partition: 0, offset: 0 },
          { id: "2", partition: 1, offset: 3 },
          { id: "3", partition: 0, offset: 2 },
          { id: "4", partition: 1, offset: 0 },
          { id: "5", partition: 1, offset: 1 },
          { id: "6", partition: 1, offset: 2 }
        ])
        assert.deepStrictEqual(
          yield* sql`SELECT user_id, event_date, events, sessions, first_device_type FROM int_user_days
            ORDER BY event_date, user_id`,
          [
            { user_id: "ada", event_date: utcDay(D), events: 2, sessions: 1, first_device_type: "desktop" },
            { user_id: "bob", event_date: utcDay(D), events: 1, sessions: 1, first_device_type: "tablet" },
            { user_id: "ada", event_date: utcDay(D + DAY_MS), events: 1, sessions: 1, first_device_type: "desktop" },
            { user_id: "bob", event_date: utcDay(D + DAY_MS), events: 1, sessions: 1, first_device_type: "mobile" },
            { user_id: "cy", event_date: utcDay(D + DAY_MS), events: 1, sessions: 1, first_device_type: "desktop" }
          ]
        )
        const daily = sql`SELECT * FROM fct_daily_activity ORDER BY event_date`
        assert.deepStrictEqual(yield* daily, [
          {
            event_date: utcDay(D),
            active_users: 2,
            new_users: 2,
            returning_users: 0,
            events: 3,
            events_per_active_user: 1.5
          },
          {
            event_date: utcDay(D + DAY_MS),
            active_users: 3,
            new_users: 1,
            returning_users: 2,
            events: 3,
            events_per_active_user: 1
          }
        ])

        yield* secondBatch
        const second = yield* runner.run({ select: EXAMPLES })
        // Partition 0 kept offsets up to 2, so offsets 3–6 are new: ids 1 (the copy at 3), 7, 5 and 6 are
        // recomputed from their kept row and new copies; only 7 (new) and 6 (a new copy wins) are rewritten.
        // int_user_days recomputes the users of those rows, ada (2 days) and cy (1 day).
        assert.deepStrictEqual(
          second.results.map((r) => [r.model, r.incremental, r.rows, r.rowsAffected]),
          [
            ["stg_events_deduplicated", true, 7, 2],
            ["stg_identities", true, 0, 0],
            ["stg_events", false, null, null],
            ["int_user_days", true, 5, 3],
            ["fct_daily_activity", false, 2, 2]
          ]
        )
        assert.deepStrictEqual(yield* kept, [
          { id: "1", partition: 0, offset: 0 },
          { id: "2", partition: 1, offset: 3 },
          { id: "3", partition: 0, offset: 2 },
          { id: "4", partition: 1, offset: 0 },
          { id: "5", partition: 1, offset: 1 },
          { id: "6", partition: 0, offset: 6 },
          { id: "7", partition: 0, offset: 4 }
        ])
        const afterSecond = yield* daily
        assert.deepStrictEqual(afterSecond[1], {
          event_date: utcDay(D + DAY_MS),
          active_users: 3,
          new_users: 1,
          returning_users: 2,
          events: 4,
          events_per_active_user: 4 / 3
        })
        // Compaction merges the hours with several files (D 10h, D+1 9h and D+1 12h, where both Kafka
        // partitions or both batches wrote); the lake's rows, offsets included, stay the same.
        yield* TestClock.setTime(D + 3 * DAY_MS)
        const compaction = yield* (yield* Compaction).run
        assert.strictEqual(compaction.compacted.length, 3)
        // Nothing new: the incremental build selects no rows and every table stays as it was.
        const stgBefore = yield* sql`SELECT * FROM stg_events ORDER BY event_id`
        const third = yield* runner.run({ select: EXAMPLES })
        assert.deepStrictEqual(third.results[0]?.rowsAffected, 0)
        assert.deepStrictEqual(yield* sql`SELECT * FROM stg_events ORDER BY event_id`, stgBefore)
        assert.deepStrictEqual(yield* daily, afterSecond)
        // A full refresh gives the same table (each row's _loaded_at becomes the refresh's run).
        const rows = sql`SELECT * EXCLUDE (_loaded_at) FROM stg_events ORDER BY event_id`
        const incrementalRows = yield* rows
        const full = yield* runner.run({ select: EXAMPLES, fullRefresh: true })
        assert.deepStrictEqual(full.results[0]?.incremental, false)
        assert.deepStrictEqual(yield* rows, incrementalRows)
      }).pipe(Effect.provide(runnerLayer(dataDir)))
    })
  )

  it.effect("tests and freshness of the example models; the run log and the manifest", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const runner = yield* ModelRunner
        const docs = yield* ModelDocs
        yield* TestClock.setTime(D)
        const untested = yield* runner.test({ select: "stg_events_deduplicated" })
        assert.isFalse(untested.ok)
        assert.deepStrictEqual(
          [...new Set(untested.tests.map((t) => `${t.status}: ${t.message}`))],
          ["error: model stg_events_deduplicated has not been built (run it first)"]
        )
        assert.deepStrictEqual(
          untested.freshness.map((f) => [f.source, f.status, f.message]),
          [["lake.events", "warn", "the source has no rows yet"]]
        )
        yield* firstBatch
        yield* secondBatch
        yield* TestClock.setTime(D + MIN)
        const run = yield* runner.run({ select: EXAMPLES })
        // The newest event is id7 at D+1 13:00.
        const newest = D + DAY_MS + 13 * HOUR_MS
        yield* TestClock.setTime(newest + 30 * MIN)
        const tested = yield* runner.test({ select: EXAMPLES })
        // stg_identities 5, stg_events_deduplicated 9, stg_events 1, int_user_days 4, fct_daily_activity 4.
        assert.strictEqual(tested.tests.length, 23)
        assert.deepStrictEqual(
          tested.tests.filter((t) => t.status !== "pass"),
          []
        )
        assert.deepStrictEqual(
          tested.freshness.map((f) => [f.source, f.status, f.ageMs, f.maxLoadedAt]),
          [["lake.events", "pass", 30 * MIN, new Date(newest)]]
        )
        assert.isTrue(tested.ok)
        yield* TestClock.setTime(newest + 2 * HOUR_MS)
        assert.deepStrictEqual(
          (yield* runner.freshness).map((f) => [f.source, f.status, f.message]),
          [
            ["lake.events", "warn", "newest occurred_at_corrected is 120.0 min old (warn after 60.0 min)"],
            ["lake.sessions", "warn", "the source has no rows yet"]
          ]
        )
        yield* TestClock.setTime(newest + 25 * HOUR_MS)
        const stale = yield* runner.test({ select: "int_user_days" })
        assert.isFalse(stale.ok)
        assert.strictEqual(stale.run.status, "error")
        assert.deepStrictEqual(
          stale.freshness.map((f) => [f.status, f.message]),
          [["error", "newest occurred_at_corrected is 1500.0 min old (error after 1440.0 min)"]]
        )

        const runs = yield* docs.runs(10)
        assert.deepStrictEqual(
          runs.map((r) => [r.command, r.status, r.selector]),
          [
            ["test", "error", "int_user_days"],
            ["test", "success", EXAMPLES],
            ["run", "success", EXAMPLES],
            ["test", "error", "stg_events_deduplicated"]
          ]
        )
        const logged = yield* docs.runResults(run.run.runId)
        assert.deepStrictEqual(logged?.results, run.results)
        assert.deepStrictEqual(logged?.run, run.run)

        const manifest = yield* docs.manifest
        const stg = manifest.models.find((m) => m.name === "stg_events_deduplicated")
        const mart = manifest.models.find((m) => m.name === "fct_daily_activity")
        const examples = [
          "stg_identities",
          "stg_events_deduplicated",
          "stg_events",
          "int_user_days",
          "fct_daily_activity"
        ]
        assert.deepStrictEqual(
          manifest.models.filter((m) => examples.includes(m.name)).map((m) => [m.name, m.parents, m.sources]),
          [
            ["stg_events_deduplicated", [], ["lake.events"]],
            ["stg_identities", [], ["lake.events"]],
            ["stg_events", ["stg_events_deduplicated", "stg_identities"], []],
            ["int_user_days", ["stg_events", "stg_identities"], []],
            ["fct_daily_activity", ["int_user_days"], []]
          ]
        )
        assert.deepStrictEqual(stg?.children, ["stg_events"])
        assert.deepStrictEqual(mart?.children, [])
        assert.strictEqual(stg?.file, "src/models/sql/staging/stg_events_deduplicated.sql")
        assert.include(stg?.rawSql, "{{ source('lake', 'events') }}")
        assert.include(stg?.compiledSql, `read_parquet('${dataDir}/lake/events/**/*.parquet'`)
        assert.notInclude(stg?.compiledSql, "kept AS")
        assert.include(stg?.compiledIncrementalSql, 'FROM "stg_events_deduplicated" GROUP BY kafka_partition')
        assert.deepStrictEqual(stg?.uniqueKey, ["event_id"])
        assert.deepStrictEqual(
          stg?.columns.find((c) => c.name === "event_id")?.tests.map((t) => t.testId),
          ["unique.stg_events_deduplicated.event_id", "not_null.stg_events_deduplicated.event_id"]
        )
        assert.strictEqual(
          stg?.columns.find((c) => c.name === "context_device_type")?.description,
          "form factor of the device"
        )
        assert.deepStrictEqual(mart?.lastRun, run.results[4])
        assert.deepStrictEqual(
          mart?.tests.map((t) => [t.testId, t.status]),
          [
            ["not_null.fct_daily_activity.active_users", "pass"],
            ["not_null.fct_daily_activity.event_date", "pass"],
            ["singular.fct_daily_activity.new_plus_returning_is_active", "pass"],
            ["unique.fct_daily_activity.event_date", "pass"]
          ]
        )
        assert.deepStrictEqual(
          manifest.sources.map((s) => [s.id, s.children, s.freshness?.status ?? null]),
          [
            ["lake.events", ["stg_events_deduplicated", "stg_identities"], "error"],
            ["lake.sessions", ["stg_sessions"], null]
          ]
        )
      }).pipe(Effect.provide(runnerLayer(dataDir)))
    })
  )
})

describe("model runner failures and swaps", () => {
  it.effect("a failing model skips its descendants, leaves its previous table readable, and others still run", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const project = writeProject(`${dataDir}/project`, [
        { declaration: model("fct_cast", "marts"), sql: "SELECT CAST(v AS INTEGER) AS n FROM control" },
        { declaration: model("fct_child", "marts", "view"), sql: "SELECT n + 1 AS m FROM {{ ref('fct_cast') }}" },
        { declaration: model("fct_grandchild", "marts"), sql: "SELECT m FROM {{ ref('fct_child') }}" },
        { declaration: model("fct_other", "marts"), sql: "SELECT 42 AS answer" }
      ])
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const runner = yield* ModelRunner
        yield* sql`CREATE TABLE control AS SELECT '1' AS v`
        const ok = yield* runner.run()
        assert.deepStrictEqual(
          ok.results.map((r) => r.status),
          ["success", "success", "success", "success"]
        )
        yield* sql`UPDATE control SET v = 'not a number'`
        const failed = yield* runner.run()
        assert.deepStrictEqual(
          failed.results.map((r) => [r.model, r.status]),
          [
            ["fct_cast", "error"],
            ["fct_child", "skipped"],
            ["fct_grandchild", "skipped"],
            ["fct_other", "success"]
          ]
        )
        const byModel = new Map(failed.results.map((r) => [r.model, r]))
        assert.include(byModel.get("fct_cast")?.message, "Conversion Error")
        assert.strictEqual(byModel.get("fct_child")?.message, "skipped: upstream model fct_cast failed")
        assert.strictEqual(byModel.get("fct_grandchild")?.message, "skipped: upstream model fct_cast failed")
        assert.deepStrictEqual(
          [failed.run.status, failed.run.succeeded, failed.run.failed, failed.run.skipped],
          ["error", 1, 1, 2]
        )
        // The previous table, and the view over it, still read; the private build table is gone.
        assert.deepStrictEqual(yield* sql`SELECT m FROM fct_child`, [{ m: 2 }])
        assert.deepStrictEqual(
          yield* sql`SELECT table_name FROM information_schema.tables WHERE table_name LIKE '__launchpad_build_%'`,
          []
        )
        // Selecting only the healthy part runs it alone.
        const selected = yield* runner.run({ select: "fct_other" })
        assert.deepStrictEqual(
          selected.results.map((r) => [r.model, r.status]),
          [["fct_other", "success"]]
        )
      }).pipe(Effect.provide(runnerLayer(dataDir, project)))
    })
  )

  it.effect(
    "an incremental model's tombstones delete their keys and are never stored; run_started_at orders its runs",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        // Per user, the number of their items; a user whose items are all gone gets a tombstone.
        const project = writeProject(`${dataDir}/project`, [
          {
            declaration: {
              ...model("int_counts", "intermediate"),
              materialized: "incremental",
              uniqueKey: ["user_id"]
            },
            sql: `WITH counted AS (
              SELECT user_id, count(*)::INTEGER AS n, {{ run_started_at }} AS _loaded_at FROM items GROUP BY user_id
            )
            SELECT * FROM counted
            {% if is_incremental() %}
            UNION ALL BY NAME
            SELECT user_id, true AS _deleted FROM gone
            {% endif %}`
          }
        ])
        yield* Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const runner = yield* ModelRunner
          yield* sql`CREATE TABLE items AS SELECT * FROM (VALUES ('ada'), ('ada'), ('bob')) t(user_id)`
          yield* sql`CREATE TABLE gone (user_id VARCHAR)`
          yield* runner.run()
          const counts = sql<{ user_id: string; n: number }>`SELECT user_id, n FROM int_counts ORDER BY user_id`
          assert.deepStrictEqual(yield* counts, [
            { user_id: "ada", n: 2 },
            { user_id: "bob", n: 1 }
          ])
          const [first] = yield* sql<{ at: Date }>`SELECT max(_loaded_at) AS at FROM int_counts`
          // bob's items go: a tombstone deletes bob; ada is rewritten by the same run.
          yield* sql`DELETE FROM items WHERE user_id = 'bob'`
          yield* sql`INSERT INTO gone VALUES ('bob')`
          const second = yield* runner.run()
          assert.deepStrictEqual(
            second.results.map((r) => [r.incremental, r.rows, r.rowsAffected]),
            [[true, 1, 1]]
          )
          assert.deepStrictEqual(yield* counts, [{ user_id: "ada", n: 2 }])
          const columns = yield* sql<{ name: string }>`SELECT column_name AS name FROM information_schema.columns
          WHERE table_name = 'int_counts' ORDER BY column_name`
          assert.deepStrictEqual(
            columns.map((c) => c.name),
            ["_loaded_at", "n", "user_id"]
          )
          const [later] = yield* sql<{ at: Date }>`SELECT max(_loaded_at) AS at FROM int_counts`
          assert.isAbove(later?.at.getTime() ?? 0, first?.at.getTime() ?? Infinity)
          // A full refresh builds without the tombstone column either.
          yield* runner.run({ fullRefresh: true })
          assert.deepStrictEqual(yield* counts, [{ user_id: "ada", n: 2 }])
        }).pipe(Effect.provide(runnerLayer(dataDir, project)))
      })
  )

  it.live("readers never see a table missing or half-built while it is rebuilt, even when a rebuild fails", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const project = writeProject(`${dataDir}/project`, [
        {
          declaration: model("fct_big", "marts"),
          sql: "SELECT i, CAST(CASE WHEN i = 199999 THEN (SELECT v FROM control) ELSE '0' END AS INTEGER) AS z FROM range(200000) t(i)"
        }
      ])
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const runner = yield* ModelRunner
        yield* sql`CREATE TABLE control AS SELECT '0' AS v`
        yield* runner.run()
        const done = yield* Ref.make(false)
        const counts = yield* Ref.make<ReadonlyArray<number>>([])
        const reader = yield* Effect.gen(function* () {
          while (!(yield* Ref.get(done))) {
            const [row] = yield* sql<{ n: number }>`SELECT count(*)::INTEGER AS n FROM fct_big`
            yield* Ref.update(counts, (c) => [...c, row?.n ?? -1])
          }
        }).pipe(Effect.forkChild)
        for (let i = 0; i < 6; i++) {
          // Every other rebuild fails on its last row.
          yield* sql`UPDATE control SET v = ${i % 2 === 0 ? "x" : "0"}`
          const result = yield* runner.run()
          assert.strictEqual(result.results[0]?.status, i % 2 === 0 ? "error" : "success")
        }
        yield* Ref.set(done, true)
        yield* Fiber.join(reader)
        const seen = yield* Ref.get(counts)
        assert.isAbove(seen.length, 0)
        assert.deepStrictEqual([...new Set(seen)], [200000])
      }).pipe(Effect.provide(runnerLayer(dataDir, project)))
    })
  )

  it.live(
    "runs never overlap: a second run is refused while one is in progress; an interrupted run is logged cancelled",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        const project = writeProject(`${dataDir}/project`, [
          { declaration: model("fct_slow", "marts"), sql: "SELECT count(*) AS n FROM range(1000000000000) t(i)" }
        ])
        yield* Effect.gen(function* () {
          const runner = yield* ModelRunner
          const docs = yield* ModelDocs
          const slow = yield* runner.run().pipe(Effect.forkChild)
          while ((yield* docs.runs(1)).length === 0) yield* Effect.sleep(10)
          const [started] = yield* docs.runs(1)
          const busy = yield* Effect.flip(runner.run({ select: "fct_slow" }))
          assert.strictEqual(busy._tag, "ModelRunBusy")
          assert.include(busy.message, `run ${started?.runId} is in progress since`)
          const busyTest = yield* Effect.flip(runner.test())
          assert.strictEqual(busyTest._tag, "ModelRunBusy")
          yield* Fiber.interrupt(slow)
          const [cancelled] = yield* docs.runs(1)
          assert.deepStrictEqual([cancelled?.runId, cancelled?.status], [started?.runId, "cancelled"])
          // The lock is free again.
          const next = yield* runner.test()
          assert.strictEqual(next.run.command, "test")
        }).pipe(Effect.provide(runnerLayer(dataDir, project)))
      })
  )
})

describe("data tests", () => {
  it.effect("generic tests follow dbt's NULL rules; failing rows are capped; results are stored", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      const project = writeProject(`${dataDir}/project`, [
        {
          declaration: model("stg_kinds", "staging", "table", {
            columns: { kind: { description: "a kind", tests: [unique(), notNull()] } }
          }),
          sql: "SELECT * FROM (VALUES ('x'), ('y')) v(kind)"
        },
        {
          declaration: model("stg_people", "staging", "table", {
            columns: {
              id: { description: "id", tests: [unique(), notNull()] },
              name: { description: "name", tests: [notNull({ severity: "warn" })] },
              kind: {
                description: "kind",
                tests: [
                  { type: "accepted_values", values: ["x", "y"], severity: "error" },
                  { type: "relationships", to: "stg_kinds", field: "kind", severity: "error" }
                ]
              },
              note: {
                description: "always NULL",
                tests: [unique(), { type: "accepted_values", values: ["q"], severity: "error" }]
              }
            },
            tests: [{ name: "three_rows", sql: "SELECT * FROM {{ this }} WHERE id IS NULL OR id = 3 ORDER BY name" }]
          }),
          sql: `SELECT id, name, kind, CAST(NULL AS VARCHAR) AS note FROM (VALUES
            (1, 'a', 'x'), (2, 'b', NULL), (NULL, 'c', 'y'), (NULL, 'd', 'zz'), (3, NULL, 'x'), (3, 'e', 'x')
          ) v(id, name, kind)`
        }
      ])
      yield* Effect.gen(function* () {
        const runner = yield* ModelRunner
        const docs = yield* ModelDocs
        yield* runner.run()
        const report = yield* runner.test({ failingRows: 2 })
        assert.isFalse(report.ok)
        const byId = new Map(report.tests.map((t) => [t.testId, t]))
        const summary = (id: string) => {
          const t = byId.get(id)
          return [t?.status, t?.failures, t?.failingRows]
        }
        // NULLs are not duplicates; 3 is.
        assert.deepStrictEqual(summary("unique.stg_people.id"), ["fail", 1, [{ unique_field: 3, n_records: 2 }]])
        assert.deepStrictEqual(summary("not_null.stg_people.id"), [
          "fail",
          2,
          [
            { id: null, name: "c", kind: "y", note: null },
            { id: null, name: "d", kind: "zz", note: null }
          ]
        ])
        assert.deepStrictEqual(summary("not_null.stg_people.name"), [
          "warn",
          1,
          [{ id: 3, name: null, kind: "x", note: null }]
        ])
        // A NULL kind is accepted and needs no parent; 'zz' is neither.
        assert.deepStrictEqual(summary("accepted_values.stg_people.kind"), [
          "fail",
          1,
          [{ value_field: "zz", n_records: 1 }]
        ])
        assert.deepStrictEqual(summary("relationships.stg_people.kind.stg_kinds"), ["fail", 1, [{ from_field: "zz" }]])
        // An all-NULL column passes unique and accepted_values.
        assert.deepStrictEqual(summary("unique.stg_people.note"), ["pass", 0, []])
        assert.deepStrictEqual(summary("accepted_values.stg_people.note"), ["pass", 0, []])
        // Four rows fail the singular test; two are kept.
        assert.deepStrictEqual(
          [
            byId.get("singular.stg_people.three_rows")?.failures,
            byId.get("singular.stg_people.three_rows")?.failingRows.length
          ],
          [4, 2]
        )
        assert.deepStrictEqual(summary("unique.stg_kinds.kind"), ["pass", 0, []])
        assert.deepStrictEqual([report.run.status, report.run.succeeded, report.run.failed], ["error", 5, 5])
        // Stored, and read back by test id.
        const sorted = [...report.tests].sort((a, b) => (a.testId < b.testId ? -1 : 1))
        assert.deepStrictEqual(yield* docs.testResults(), sorted)
        assert.deepStrictEqual(yield* docs.testResults(report.run.runId), sorted)
      }).pipe(Effect.provide(runnerLayer(dataDir, project)))
    })
  )
})
