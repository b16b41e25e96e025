/**
 * int_experiment_exposures and fct_experiment_results against textbook values worked by hand: the
 * two-proportion z-test, the Wald and delta-method intervals, the SRM chi-square (1 and 2 degrees of
 * freedom), and the Bayesian chance to beat control, checked against a value derived by hand (two
 * one-user arms) and against a numerical integration written here, independent of the model's sum.
 *
 * Experiments (exposure at 10:00 on 2026-03-02, purchases at 11:00):
 * - checkout_v2: control 1000 users, 100 buy after exposure (c101–c105 bought only before it);
 *   treatment 1000, 130 buy; x1–x3 saw both variants (excluded, x1 buys). Nobody completes a quiz.
 * - split_check: control 80, treatment 20, no purchases.
 * - layout: control 100 (10 buy), a 110 (20 buy), b 90 (9 buy).
 * - coin: control 1 user (no purchase), treatment 1 user (buys).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { EnrichedEvent } from "../../../src/domain/Catalog.ts"
import { event, HOUR, MINUTE, purchase, rows, withMarts } from "./fixtures.ts"

const D = Date.UTC(2026, 2, 2)
let orders = 0

const exposed = (experiment: string, variant: string, user: string, at = D + 10 * HOUR) =>
  event("experiment_exposure", { experiment_key: experiment, variant }, { user, at })
const buys = (user: string, at = D + 11 * HOUR) =>
  purchase({ user, at }, { orderId: `o${++orders}`, revenue: 10, currency: "CHF" })

/** `size` users of one arm, the first `buyers` of them buying after exposure. */
const arm = (experiment: string, variant: string, size: number, buyers: number): Array<EnrichedEvent> =>
  Array.from({ length: size }, (_, i) => {
    const user = `${experiment}-${variant}-${i + 1}`
    return [exposed(experiment, variant, user), ...(i < buyers ? [buys(user)] : [])]
  }).flat()

const events = [
  ...arm("checkout_v2", "control", 1000, 100),
  // Five control users who bought before their exposure only: not conversions.
  ...[101, 102, 103, 104, 105].map((i) => buys(`checkout_v2-control-${i}`, D + 9 * HOUR)),
  ...arm("checkout_v2", "treatment", 1000, 130),
  ...["x1", "x2", "x3"].flatMap((user) => [
    exposed("checkout_v2", "control", user),
    exposed("checkout_v2", "treatment", user, D + 10 * HOUR + 30 * MINUTE)
  ]),
  buys("x1"),
  ...arm("split_check", "control", 80, 0),
  ...arm("split_check", "treatment", 20, 0),
  ...arm("layout", "control", 100, 10),
  ...arm("layout", "a", 110, 20),
  ...arm("layout", "b", 90, 9),
  ...arm("coin", "control", 1, 0),
  ...arm("coin", "treatment", 1, 1)
]

type Result = Record<string, number | string | boolean | null>

/** ln Γ(x) by Lanczos (g = 7, 9 coefficients): the test's own, not DuckDB's lgamma. */
const logGamma = (x: number): number => {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
  ]
  const y = x - 1
  let sum = c[0] ?? 0
  for (let i = 1; i < c.length; i++) sum += (c[i] ?? 0) / (y + i)
  const t = y + 7.5
  return 0.5 * Math.log(2 * Math.PI) + (y + 0.5) * Math.log(t) - t + Math.log(sum)
}

/**
 * P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), as ∫ f_X(x) F_Y(x) dx by the midpoint rule on
 * [0, upper] (both densities are negligible beyond it), F_Y accumulated over the same cells.
 */
const chanceToBeat = (a1: number, b1: number, a2: number, b2: number, upper: number): number => {
  const n = 400_000
  const h = upper / n
  const density = (a: number, b: number, x: number) =>
    Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log(1 - x) - (logGamma(a) + logGamma(b) - logGamma(a + b)))
  let below = 0
  let total = 0
  for (let i = 0; i < n; i++) {
    const x = (i + 0.5) * h
    const y = density(a2, b2, x) * h
    total += density(a1, b1, x) * (below + y / 2) * h
    below += y
  }
  return total
}

describe("fct_experiment_results", () => {
  it.effect("lift, intervals, z-test, chance to beat control, SRM and the minimum-exposure guard", () =>
    withMarts(events, (sql) =>
      Effect.gen(function* () {
        const results = yield* rows<Result>(
          sql,
          "SELECT * FROM fct_experiment_results ORDER BY experiment_key, metric, variant"
        )
        const arm = (experiment: string, metric: string, variant: string): Result => {
          const found = results.find(
            (r) => r.experiment_key === experiment && r.metric === metric && r.variant === variant
          )
          return found ?? assert.fail(`no row ${experiment} ${metric} ${variant}`)
        }
        const close = (value: unknown, expected: number, what: string, tolerance = 1e-6) =>
          assert.closeTo(typeof value === "number" ? value : Number.NaN, expected, tolerance, what)

        // checkout_v2, purchase. Exposed: 1000 + 1000 (x1–x3 excluded and counted).
        const treatment = arm("checkout_v2", "purchase", "treatment")
        const control = arm("checkout_v2", "purchase", "control")
        assert.deepStrictEqual(
          [treatment.exposures, treatment.conversions, control.exposures, control.conversions],
          [1000, 130, 1000, 100]
        )
        assert.deepStrictEqual(
          [
            treatment.experiment_exposed_users,
            treatment.experiment_excluded_users,
            treatment.is_control,
            control.is_control
          ],
          [2000, 3, false, true]
        )
        // Absolute lift 0.13 − 0.10 = 0.03; Wald se = sqrt(0.13·0.87/1000 + 0.1·0.9/1000) = sqrt(0.0002031)
        // = 0.0142513; ± 1.959964 × 0.0142513 = ± 0.0279321: [0.002068, 0.057932].
        close(treatment.absolute_lift, 0.03, "absolute lift")
        close(treatment.absolute_lift_ci_low, 0.002068, "absolute low")
        close(treatment.absolute_lift_ci_high, 0.057932, "absolute high")
        // Relative lift 0.13 / 0.1 − 1 = 0.3; delta method: se = sqrt(0.0001131 / 0.01 + 0.0169 · 0.00009 / 0.0001)
        // = sqrt(0.01131 + 0.01521) = sqrt(0.02652) = 0.1628496; ± 0.3191798: [−0.019180, 0.619180].
        close(treatment.relative_lift, 0.3, "relative lift")
        close(treatment.relative_lift_ci_low, -0.01918, "relative low")
        close(treatment.relative_lift_ci_high, 0.61918, "relative high")
        // z-test, pooled: p̂ = 230 / 2000 = 0.115; se = sqrt(0.115 · 0.885 · (1/1000 + 1/1000)) = sqrt(0.00020355)
        // = 0.0142671; z = 0.03 / 0.0142671 = 2.102741; p = 2 · (1 − Φ(2.102741)) = 2 · 0.0177442 = 0.035488.
        close(treatment.z_score, 2.102741, "z")
        close(treatment.p_value, 0.035488, "p-value", 1e-6)
        // Chance to beat: Beta(131, 871) against Beta(101, 901), integrated numerically here.
        close(treatment.chance_to_beat_control, chanceToBeat(131, 871, 101, 901, 0.4), "chance to beat", 1e-7)
        // 1000 / 1000 is a perfect split: χ² = 0, p = 1.
        assert.deepStrictEqual([treatment.srm_chi_square, treatment.srm_p_value, treatment.srm_flagged], [0, 1, false])
        assert.strictEqual(treatment.meets_minimum_exposures, true)
        // The control row compares with nothing.
        assert.deepStrictEqual(
          [control.absolute_lift, control.p_value, control.chance_to_beat_control],
          [null, null, null]
        )

        // Nobody completed the quiz: rates 0, no relative lift, no z (p̂ = 0); identical Beta(1, 1001)
        // posteriors: chance exactly 1/2.
        const completion = arm("checkout_v2", "configurator_completion", "treatment")
        assert.deepStrictEqual(
          [
            completion.conversions,
            completion.absolute_lift,
            completion.relative_lift,
            completion.z_score,
            completion.p_value
          ],
          [0, 0, null, null, null]
        )
        close(completion.chance_to_beat_control, 0.5, "equal posteriors", 1e-9)

        // split_check: 80 / 20 against 50 / 50: χ² = 30²/50 + 30²/50 = 36, 1 df;
        // p = 2 · (1 − Φ(6)) = 2 · 9.865876e−10 = 1.973175e−9 < 0.001: flagged. 20 < 50: not enough exposures.
        const split = arm("split_check", "purchase", "treatment")
        close(split.srm_chi_square, 36, "χ²")
        close(split.srm_p_value, 1.973175e-9, "SRM p", 1e-14)
        assert.deepStrictEqual([split.srm_flagged, split.meets_minimum_exposures], [true, false])

        // layout: 100 / 110 / 90 against 100 each: χ² = 0 + 100/100 + 100/100 = 2, 2 df; p = e^(−1) = 0.3678794.
        const a = arm("layout", "purchase", "a")
        const b = arm("layout", "purchase", "b")
        close(a.srm_chi_square, 2, "layout χ²")
        close(a.srm_p_value, 0.3678794, "layout SRM p")
        assert.deepStrictEqual([a.srm_flagged, a.meets_minimum_exposures], [false, true])
        // a: 20/110 against 10/100: p̂ = 30/210 = 0.1428571; se = sqrt(0.1428571 · 0.8571429 · (1/110 + 1/100))
        // = sqrt(0.1224490 · 0.0190909) = 0.0483494; z = (0.1818182 − 0.1) / 0.0483494 = 1.692228;
        // p = 2 · (1 − Φ(1.692228)) = 0.090602.
        close(a.z_score, 1.692228, "layout z")
        close(a.p_value, 0.090602, "layout p")
        // b: 9/90 = 0.1 = the control's rate: z = 0, p = 1, relative lift 0.
        assert.deepStrictEqual([b.z_score, b.p_value, b.relative_lift], [0, 1, 0])

        // coin: P(X > Y), X ~ Beta(2, 1) (density 2x), Y ~ Beta(1, 2) (cdf 2y − y²):
        // ∫₀¹ 2x (2x − x²) dx = 4/3 − 1/2 = 5/6. z = (1 − 0) / sqrt(0.5 · 0.5 · 2) = 1.414214,
        // p = 2 · (1 − Φ(1.414214)) = 0.157299. Two exposures: no SRM check, not enough exposures.
        const coin = arm("coin", "purchase", "treatment")
        close(coin.chance_to_beat_control, 5 / 6, "coin chance", 1e-9)
        close(coin.z_score, Math.SQRT2, "coin z")
        close(coin.p_value, 0.157299, "coin p")
        assert.deepStrictEqual([coin.srm_p_value, coin.srm_flagged, coin.meets_minimum_exposures], [null, null, false])

        // The exposures behind it: x1–x3 excluded, each user's first variant.
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT user_id, variant, variants_seen, is_excluded FROM int_experiment_exposures
            WHERE user_id IN ('x1', 'checkout_v2-control-1') ORDER BY user_id`
          ),
          [
            { user_id: "checkout_v2-control-1", variant: "control", variants_seen: 1, is_excluded: false },
            { user_id: "x1", variant: "control", variants_seen: 2, is_excluded: true }
          ]
        )
      })
    )
  )

  it("the test's integration reproduces textbook Beta facts", () => {
    // Beta(2, 1) against Beta(1, 2): 5/6 (worked above); Beta(1, 1) against itself: 1/2.
    assert.closeTo(chanceToBeat(2, 1, 1, 2, 1), 5 / 6, 1e-6)
    assert.closeTo(chanceToBeat(1, 1, 1, 1, 1), 0.5, 1e-6)
  })
})
