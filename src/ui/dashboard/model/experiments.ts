/**
 * The experiments section: results grouped by experiment and metric, the sample-ratio check said in
 * words, and the minimum-exposure guard (no verdict below it). Numbers are fct_experiment_results'.
 */
import { MIN_EXPOSURES_FOR_SRM, MIN_EXPOSURES_PER_VARIANT, SRM_P_THRESHOLD } from "../../../domain/Metrics.ts"
import type { ExperimentsReport } from "../../../models/api/Reports.ts"
import { formatInt, formatP } from "../ui/format.ts"

export type ExperimentRow = ExperimentsReport["rows"][number]

export interface MetricResult {
  readonly metric: string
  readonly rows: ReadonlyArray<ExperimentRow>
}

export const metricsOf = (rows: ReadonlyArray<ExperimentRow>, experiment: string): Array<MetricResult> => {
  const byMetric = new Map<string, Array<ExperimentRow>>()
  for (const row of rows) {
    if (row.experiment_key !== experiment) continue
    const list = byMetric.get(row.metric) ?? []
    list.push(row)
    byMetric.set(row.metric, list)
  }
  return [...byMetric.entries()].map(([metric, list]) => ({
    metric,
    rows: [...list].sort((a, b) => Number(b.is_control) - Number(a.is_control) || a.variant.localeCompare(b.variant))
  }))
}

/** Exposed users per variant (the same in every metric's rows). */
const exposuresOf = (rows: ReadonlyArray<ExperimentRow>) => {
  const seen = new Map<string, number>()
  for (const row of rows) seen.set(row.variant, row.exposures)
  return [...seen.entries()]
}

export interface SampleRatio {
  readonly state: "ok" | "mismatch" | "too_early"
  readonly text: string
}

/** The sample-ratio check of an experiment, in words. */
export const sampleRatioOf = (rows: ReadonlyArray<ExperimentRow>): SampleRatio => {
  const first = rows[0]
  const split = exposuresOf(rows)
    .map(([variant, n]) => `${variant} ${formatInt(n)}`)
    .join(", ")
  if (first === undefined || first.srm_flagged === null) {
    return {
      state: "too_early",
      text: `Sample ratio not checked yet: it needs ${MIN_EXPOSURES_FOR_SRM} exposed users and two variants (${split}).`
    }
  }
  if (first.srm_flagged) {
    return {
      state: "mismatch",
      text:
        `Sample ratio mismatch: the variants were meant to split users evenly, but got ${split} ` +
        `(chi-square p = ${formatP(first.srm_p_value)}, below ${SRM_P_THRESHOLD}). A split this uneven almost ` +
        "never happens by chance: assignment or exposure logging is broken somewhere, so these results cannot be " +
        "trusted until it is fixed."
    }
  }
  return {
    state: "ok",
    text: `Sample ratio as designed: ${split} (p = ${formatP(first.srm_p_value)}; a mismatch is p < ${SRM_P_THRESHOLD}).`
  }
}

/** Whether every variant has enough exposures for a verdict (below it, numbers are shown without one). */
export const enoughExposures = (rows: ReadonlyArray<ExperimentRow>): boolean =>
  rows.every((row) => row.meets_minimum_exposures)

export const MINIMUM_TEXT = `Not enough data for a verdict yet: every variant needs at least ${MIN_EXPOSURES_PER_VARIANT} exposed users.`

/** A treatment's verdict against control, once there is enough data. */
export const verdictOf = (row: ExperimentRow): string => {
  if (row.is_control) return "baseline"
  if (row.p_value === null || row.absolute_lift === null) return "—"
  if (row.p_value < 0.05) return row.absolute_lift > 0 ? "better than control" : "worse than control"
  return "no clear difference"
}
