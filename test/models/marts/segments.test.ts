/**
 * User segments (dim_users) at their boundaries, and mart_user_segments' history across runs: the
 * transitions since the previous run, kept between runs, reset by a full refresh.
 *
 * Every event is a page_view at 10:00. Run 1: the latest day with data is A = 2026-03-31.
 * - a: A (new). n: A−3 (new).
 * - d: A−40, A−20 (last seen 20 days before A: dormant).
 * - p: A−30, then A−27, A−20, A−15, A−10, A−7, A−5, A−2, A−1: 8 active days in (A−28, A]: power.
 * - p7: A−30, then A−27, A−20, A−15, A−10, A−7, A−5, A−2: 7 days in the window: casual.
 * - c: A−30, A−10: casual.
 * - b7: A−7 only: first seen exactly 7 days before A is not new (first day > A−7 fails); casual.
 * - b14: A−20, A−14: last seen exactly 14 days before: dormant (last day ≤ A−14).
 * - b13: A−20, A−13: casual.
 * Run 2 adds x and c on A' = A+10. Run 3 adds nothing. Then a full refresh.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { ModelRunner } from "../../../src/models/runner/ModelRunner.ts"
import { runnerLayer, tempDataDir, writeEvents } from "../runner/fixtures.ts"
import { buildAndTest, DAY, day, HOUR, pageView } from "./fixtures.ts"

const A = Date.UTC(2026, 2, 31)
const on = (user: string, ...daysFromA: ReadonlyArray<number>) =>
  daysFromA.map((d) => pageView({ user, at: A + d * DAY + 10 * HOUR }))

const run1 = [
  ...on("a", 0),
  ...on("n", -3),
  ...on("d", -40, -20),
  ...on("p", -30, -27, -20, -15, -10, -7, -5, -2, -1),
  ...on("p7", -30, -27, -20, -15, -10, -7, -5, -2),
  ...on("c", -30, -10),
  ...on("b7", -7),
  ...on("b14", -20, -14),
  ...on("b13", -20, -13)
]
const run2 = [...on("x", 10), ...on("c", 10)]

describe("user segments", () => {
  it.effect("segments at their boundaries, and the transitions the mart keeps between runs", () =>
    Effect.gen(function* () {
      const dataDir = yield* tempDataDir
      yield* Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const runner = yield* ModelRunner
        const segments = sql<{ user_id: string; segment: string; active_days_recent: number }>`
          SELECT user_id, segment, active_days_recent FROM dim_users ORDER BY user_id`
        const history = sql`SELECT user_id, segment, previous_segment, segment_since, previous_run_segment,
          previous_run_as_of_date, changed_in_last_run FROM mart_user_segments ORDER BY user_id`

        yield* writeEvents(0, 0, run1)
        yield* buildAndTest
        assert.deepStrictEqual(yield* segments, [
          { user_id: "a", segment: "new", active_days_recent: 1 },
          { user_id: "b13", segment: "casual", active_days_recent: 2 },
          { user_id: "b14", segment: "dormant", active_days_recent: 2 },
          { user_id: "b7", segment: "casual", active_days_recent: 1 },
          { user_id: "c", segment: "casual", active_days_recent: 1 },
          { user_id: "d", segment: "dormant", active_days_recent: 1 },
          { user_id: "n", segment: "new", active_days_recent: 1 },
          { user_id: "p", segment: "power", active_days_recent: 8 },
          { user_id: "p7", segment: "casual", active_days_recent: 7 }
        ])
        // The first build records everyone's segment as of A, with no history.
        const first = (yield* history).map((r) => [
          r.user_id,
          r.previous_segment,
          r.segment_since,
          r.changed_in_last_run
        ])
        assert.deepStrictEqual(
          first,
          ["a", "b13", "b14", "b7", "c", "d", "n", "p", "p7"].map((u) => [u, null, day(A), false])
        )

        // Run 2, as of A' = A + 10: the window is (A−18, A+10], dormant means last seen ≤ A−4.
        yield* writeEvents(0, run1.length, run2)
        const second = yield* runner.run()
        assert.strictEqual(second.results.find((r) => r.model === "mart_user_segments")?.incremental, true)
        const A2 = day(A + 10 * DAY)
        const row = (
          user_id: string,
          segment: string,
          previous_segment: string | null,
          segment_since: Date,
          previous_run_segment: string | null,
          previous_run_as_of_date: Date | null,
          changed_in_last_run: boolean
        ) => ({
          user_id,
          segment,
          previous_segment,
          segment_since,
          previous_run_segment,
          previous_run_as_of_date,
          changed_in_last_run
        })
        assert.deepStrictEqual(yield* history, [
          // a: first seen 10 days before A', last seen then: casual.
          row("a", "casual", "new", A2, "new", day(A), true),
          // b13 (A−13 = A'−23) and b7 (A−7 = A'−17): now dormant.
          row("b13", "dormant", "casual", A2, "casual", day(A), true),
          row("b14", "dormant", null, day(A), "dormant", day(A), false),
          row("b7", "dormant", "casual", A2, "casual", day(A), true),
          // c came back on A': still casual (2 active days in the window).
          row("c", "casual", null, day(A), "casual", day(A), false),
          row("d", "dormant", null, day(A), "dormant", day(A), false),
          // n: first seen A−3 = A'−13: no longer new.
          row("n", "casual", "new", A2, "new", day(A), true),
          // p: A−15, A−10, A−7, A−5, A−2, A−1 are the 6 days left in the window: casual.
          row("p", "casual", "power", A2, "power", day(A), true),
          row("p7", "casual", null, day(A), "casual", day(A), false),
          // x: a user the previous run did not know.
          row("x", "new", null, A2, null, null, true)
        ])

        // Run 3, nothing new: no transitions since the previous run; the latest change stays recorded.
        yield* runner.run()
        const third = yield* history
        assert.deepStrictEqual(
          third.filter((r) => r.changed_in_last_run === true),
          []
        )
        assert.deepStrictEqual(
          third.find((r) => r.user_id === "p"),
          row("p", "casual", "power", A2, "casual", A2, false)
        )

        // A full refresh starts the history again.
        yield* runner.run({ fullRefresh: true })
        assert.deepStrictEqual(
          (yield* history).find((r) => r.user_id === "p"),
          row("p", "casual", null, A2, null, null, false)
        )
      }).pipe(Effect.provide(runnerLayer(dataDir)))
    })
  )
})
