/**
 * The money slide: how much more often configurator completers come back than everyone else, in the
 * words a product manager reads, from the retention report's lift (fct_retention_lift). The ratio is
 * completer rate / non-completer rate, i.e. relative lift + 1, and so is its 95 % interval.
 */
import type { RetentionReport } from "../../../models/api/Reports.ts"
import { formatInt, formatPercent } from "../ui/format.ts"

type Lift = RetentionReport["lift"][number]

/** Day 7 when it has a ratio, else the first of day 1, 14, 30 that has one. */
const PREFERRED_DAYS = [7, 1, 14, 30]

export const headlineLift = (lift: ReadonlyArray<Lift>): Lift | undefined => {
  for (const day of PREFERRED_DAYS) {
    const row = lift.find((r) => r.day_number === day)
    if (row !== undefined && row.relative_lift !== null) return row
  }
  return undefined
}

const times = (ratio: number) => `${ratio.toFixed(1)}×`

export interface MoneySlide {
  readonly headline: string
  readonly detail: string
  readonly ratio: number
  readonly low: number | null
  readonly high: number | null
  readonly day: number
}

export const moneySlideOf = (lift: ReadonlyArray<Lift>): MoneySlide | undefined => {
  const row = headlineLift(lift)
  if (row === undefined || row.relative_lift === null) return undefined
  const ratio = row.relative_lift + 1
  const low = row.relative_lift_ci_low === null ? null : row.relative_lift_ci_low + 1
  const high = row.relative_lift_ci_high === null ? null : row.relative_lift_ci_high + 1
  const interval = low === null || high === null ? "" : `, 95 % CI ${low.toFixed(1)}–${high.toFixed(1)}`
  const verb = ratio >= 1 ? "return" : "return only"
  return {
    headline: `Completers ${verb} ${times(ratio)} as often on day ${row.day_number}${interval}`,
    detail:
      `${formatPercent(row.completer_rate)} of ${formatInt(row.completers)} users who completed the configurator on ` +
      `their first day came back on day ${row.day_number}, against ${formatPercent(row.non_completer_rate)} of ` +
      `${formatInt(row.non_completers)} who did not (${formatInt(row.cohorts)} cohorts pooled). An association, ` +
      "not an experiment: completers chose to complete.",
    ratio,
    low,
    high,
    day: row.day_number
  }
}
