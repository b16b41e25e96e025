/**
 * The models' own data tests catch bad data with a clear result: the failing test, its rows, and
 * `models test` not ok; a model that cannot build says why, skips its descendants and leaves its
 * previous table readable.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { dataTestsOf } from "../../../src/models/runner/DataTests.ts"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import { loadProject } from "../../../src/models/runner/Project.ts"
import { realProject, runnerLayer, tempDataDir, writeEvents } from "../runner/fixtures.ts"
import { HOUR, pageView, purchase } from "./fixtures.ts"

const D = Date.UTC(2026, 2, 2)

describe("the models' data tests", () => {
  it.effect("every model declares data tests", () =>
    Effect.gen(function* () {
      const project = yield* loadProject(realProject)
      const untested = [...project.models.values()].filter((node) => dataTestsOf(node).length === 0).map((n) => n.name)
      assert.deepStrictEqual(untested, [])
    })
  )

  it.effect(
    "an event timed after its receipt fails stg_events_deduplicated's test, naming the event; the rest pass",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* tempDataDir
        yield* Effect.gen(function* () {
          const runner = yield* ModelRunner
          // Ingest never writes this (it clamps the corrected time to received_at); a foreign producer could.
          const future = pageView({ user: "u", at: D + 10 * HOUR, receivedAt: D + 9 * HOUR })
          yield* writeEvents(0, 0, [pageView({ user: "u", at: D + 8 * HOUR }), future])
          const run = yield* runner.run()
          assert.isTrue(run.results.every((r) => r.status === "success"))
          const report = yield* runner.test({ failingRows: 5 })
          assert.isFalse(report.ok)
          const failing = report.tests.filter((t) => t.status !== "pass")
          assert.deepStrictEqual(
            failing.map((t) => [t.testId, t.status, t.failures, t.failingRows]),
            [
              [
                "singular.stg_events_deduplicated.corrected_time_not_after_receipt",
                "fail",
                1,
                [
                  {
                    event_id: future.event_id,
                    occurred_at_corrected: new Date(D + 10 * HOUR).toISOString(),
                    received_at: new Date(D + 9 * HOUR).toISOString()
                  }
                ]
              ]
            ]
          )
        }).pipe(Effect.provide(runnerLayer(dataDir)))
      })
  )

  it.effect("a model that cannot build reports the error, skips its descendants and keeps its previous table", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const runner = yield* ModelRunner
        const sql = yield* SqlClient.SqlClient
        yield* writeEvents(0, 0, [purchase({ user: "u", at: D }, { orderId: "o1", revenue: 10, currency: "CHF" })])
        yield* runner.run()
        // A view someone left in the warehouse holds the name int_orders builds into: its build fails.
        yield* sql`CREATE VIEW __launchpad_build_int_orders AS SELECT 1 AS x`
        const failed = yield* runner.run()
        const byModel = new Map(failed.results.map((r) => [r.model, r]))
        assert.strictEqual(byModel.get("int_orders")?.status, "error")
        assert.include(byModel.get("int_orders")?.message, "__launchpad_build_int_orders")
        for (const child of ["fct_revenue", "dim_products", "mart_campaign_attribution"]) {
          assert.deepStrictEqual(
            [byModel.get(child)?.status, byModel.get(child)?.message],
            ["skipped", "skipped: upstream model int_orders failed"]
          )
        }
        assert.strictEqual(byModel.get("fct_daily_engagement")?.status, "success")
        // The previous tables still read.
        assert.deepStrictEqual(yield* sql`SELECT order_id, revenue FROM int_orders`, [{ order_id: "o1", revenue: 10 }])
        assert.deepStrictEqual(yield* sql`SELECT orders, revenue FROM fct_revenue`, [{ orders: 1, revenue: 10 }])
      }).pipe(Effect.provide(runnerLayer(dataDir)))
    })
  )
})

describe("the models' documentation", () => {
  it.effect("every column of every model is described, and every described column exists", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* writeEvents(0, 0, [pageView({ user: "u", at: D })])
        yield* (yield* ModelRunner).run()
        const project = yield* loadProject(realProject)
        const problems: Array<string> = []
        for (const node of project.models.values()) {
          const actual = (yield* sql<{ column_name: string }>`SELECT column_name FROM information_schema.columns
            WHERE table_schema = 'main' AND table_name = ${node.name} ORDER BY ordinal_position`).map(
            (c) => c.column_name
          )
          const declared = Object.keys(node.declaration.columns)
          for (const column of actual)
            if (!declared.includes(column)) problems.push(`${node.name}.${column} undescribed`)
          for (const column of declared) if (!actual.includes(column)) problems.push(`${node.name}.${column} missing`)
        }
        assert.deepStrictEqual(problems, [])
      }).pipe(Effect.provide(runnerLayer(dataDir)))
    })
  )
})
