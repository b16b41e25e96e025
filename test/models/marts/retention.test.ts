/**
 * fct_retention (the cohort table) and fct_retention_lift (completers against non-completers, Katz
 * interval) on a hand-built population, the interval worked by hand from its textbook formula.
 *
 * Cohort D = 2026-03-02, 150 users, all first seen on D:
 * - C1–C50 complete the configurator on D (their first event is quiz_completed). C1–C10 come back on
 *   D+1, C1–C30 on D+7.
 * - N1–N100 only view a page on D. N1–N5 complete the quiz on D+1 (a return on day 1, and still
 *   non-completers: the group is decided on day 0), N1–N20 come back on D+7.
 * Cohort D+7: Z, first seen on D+7, the last day with data: none of its days 1–30 is observable yet.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DAY, event, HOUR, pageView, rows, withMarts } from "./fixtures.ts"

const D = Date.UTC(2026, 2, 2)
const completed = (user: string, at: number) =>
  event("quiz_completed", { quiz_id: "q", result_id: "r", step_count: 5, duration_ms: 1 }, { user, at })

const events = [
  ...Array.from({ length: 50 }, (_, i) => {
    const user = `C${i + 1}`
    return [
      completed(user, D + 9 * HOUR),
      ...(i < 10 ? [pageView({ user, at: D + DAY + 9 * HOUR })] : []),
      ...(i < 30 ? [pageView({ user, at: D + 7 * DAY + 9 * HOUR })] : [])
    ]
  }),
  ...Array.from({ length: 100 }, (_, i) => {
    const user = `N${i + 1}`
    return [
      pageView({ user, at: D + 10 * HOUR }),
      ...(i < 5 ? [completed(user, D + DAY + 10 * HOUR)] : []),
      ...(i < 20 ? [pageView({ user, at: D + 7 * DAY + 10 * HOUR })] : [])
    ]
  }),
  [pageView({ user: "Z", at: D + 7 * DAY + 11 * HOUR })]
].flat()

describe("fct_retention", () => {
  it.effect("the cohort table: D1/D7/D14/D30 return rates per group, NULL where the day is not observable yet", () =>
    withMarts(events, (sql) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT cohort_date, user_group, day_number, cohort_size, is_observable, returned_users, return_rate
            FROM fct_retention ORDER BY cohort_date, user_group, day_number`
          ),
          [
            // all: 10 + 5 back on D+1 (15 / 150 = 0.1), 30 + 20 on D+7 (50 / 150); D+14, D+30 are after D+7.
            ...[
              [1, true, 15, 0.1],
              [7, true, 50, 1 / 3],
              [14, false, null, null],
              [30, false, null, null]
            ].map(([day_number, is_observable, returned_users, return_rate]) => ({
              cohort_date: new Date(D),
              user_group: "all",
              day_number,
              cohort_size: 150,
              is_observable,
              returned_users,
              return_rate
            })),
            // completers: 10 / 50 = 0.2 and 30 / 50 = 0.6.
            ...[
              [1, true, 10, 0.2],
              [7, true, 30, 0.6],
              [14, false, null, null],
              [30, false, null, null]
            ].map(([day_number, is_observable, returned_users, return_rate]) => ({
              cohort_date: new Date(D),
              user_group: "completers",
              day_number,
              cohort_size: 50,
              is_observable,
              returned_users,
              return_rate
            })),
            // non-completers: 5 / 100 = 0.05 and 20 / 100 = 0.2.
            ...[
              [1, true, 5, 0.05],
              [7, true, 20, 0.2],
              [14, false, null, null],
              [30, false, null, null]
            ].map(([day_number, is_observable, returned_users, return_rate]) => ({
              cohort_date: new Date(D),
              user_group: "non_completers",
              day_number,
              cohort_size: 100,
              is_observable,
              returned_users,
              return_rate
            })),
            ...["all", "non_completers"].flatMap((user_group) =>
              [1, 7, 14, 30].map((day_number) => ({
                cohort_date: new Date(D + 7 * DAY),
                user_group,
                day_number,
                cohort_size: 1,
                is_observable: false,
                returned_users: null,
                return_rate: null
              }))
            )
          ]
        )
      })
    )
  )
})

describe("fct_retention_lift", () => {
  it.effect(
    "completers against non-completers: relative lift with Katz's log interval, absolute lift with Wald's",
    () =>
      withMarts(events, (sql) =>
        Effect.gen(function* () {
          const lift = yield* rows<Record<string, number>>(sql, "SELECT * FROM fct_retention_lift ORDER BY day_number")
          // Only days 1 and 7 have an observable cohort (D's; D+7's days are all in the future).
          assert.deepStrictEqual(
            lift.map((r) => [
              r.day_number,
              r.cohorts,
              r.completers,
              r.completers_returned,
              r.non_completers,
              r.non_completers_returned
            ]),
            [
              [1, 1, 50, 10, 100, 5],
              [7, 1, 50, 30, 100, 20]
            ]
          )
          const [d1, d7] = lift
          const close = (actual: number | undefined, expected: number, what: string) =>
            assert.closeTo(actual ?? Number.NaN, expected, 1e-6, what)
          // Day 1: p1 = 10/50 = 0.2, p2 = 5/100 = 0.05, RR = 4, lift = 3.
          // Katz: se(ln RR) = sqrt(1/10 − 1/50 + 1/5 − 1/100) = sqrt(0.27) = 0.5196152;
          // 1.959964 × 0.5196152 = 1.0184272; exp(ln 4 ∓ 1.0184272) = exp(0.3678672) = 1.4446502 and
          // exp(2.4047216) = 11.0753456: lift in [0.444650, 10.075346].
          close(d1?.relative_lift, 3, "D1 relative lift")
          close(d1?.relative_lift_ci_low, 0.44465, "D1 low")
          close(d1?.relative_lift_ci_high, 10.075346, "D1 high")
          // Wald: 0.15 ± 1.959964 × sqrt(0.2·0.8/50 + 0.05·0.95/100) = 0.15 ± 1.959964 × 0.0606218
          // = 0.15 ± 0.1188165: [0.031183, 0.268817].
          close(d1?.absolute_lift, 0.15, "D1 absolute")
          close(d1?.absolute_lift_ci_low, 0.031183, "D1 abs low")
          close(d1?.absolute_lift_ci_high, 0.268817, "D1 abs high")
          // Day 7: p1 = 0.6, p2 = 0.2, RR = 3, lift = 2. se = sqrt(1/30 − 1/50 + 1/20 − 1/100) = sqrt(0.0533333)
          // = 0.2309401; × 1.959964 = 0.4526343; exp(1.0986123 ∓ 0.4526343) = 1.907852, 4.717347.
          close(d7?.completer_rate, 0.6, "D7 completers")
          close(d7?.non_completer_rate, 0.2, "D7 non-completers")
          close(d7?.relative_lift, 2, "D7 relative lift")
          close(d7?.relative_lift_ci_low, 0.907852, "D7 low")
          close(d7?.relative_lift_ci_high, 3.717347, "D7 high")
          // Wald: 0.4 ± 1.959964 × sqrt(0.6·0.4/50 + 0.2·0.8/100) = 0.4 ± 1.959964 × 0.08 = 0.4 ± 0.1567971.
          close(d7?.absolute_lift_ci_low, 0.243203, "D7 abs low")
          close(d7?.absolute_lift_ci_high, 0.556797, "D7 abs high")
        })
      )
  )
})
