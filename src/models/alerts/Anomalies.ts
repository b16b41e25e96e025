/**
 * The anomaly rule behind `GET /api/v1/alerts` and the dashboard's live alert, written once:
 *
 * A **closed** minute m is anomalous for a measure when its value x has a z-score above 3 against the
 * **trailing hour** of closed minutes, the 60 minutes [m − 60 min, m):
 *
 * - every minute of the trailing hour counts, a minute without a row as 0 (no events is a value), except
 *   minutes before the first minute the warehouse holds (before its history began there is no value);
 * - with n such minutes (at least 30, else m is not judged), mean μ = Σ xᵢ / n and the sample standard
 *   deviation s = √(Σ (xᵢ − μ)² / (n − 1));
 * - z = (x − μ) / max(s, 1): the deviation is floored at 1 (one event, one user), so that a flat
 *   baseline (s = 0) still has a z-score, and a jump of more than 3 over it is an anomaly;
 * - anomalous when z > 3 (spikes only: a drop below the baseline is not an alert).
 *
 * Measures judged: `events` (events per minute) and `distinct_users` (distinct users per minute), the
 * live KPIs a launch moves first. A minute the watermark has not closed is provisional and never judged.
 */
import type { KpiMeasureName } from "../../domain/KpiMeasures.ts"
import { WINDOW_MS } from "../../domain/KpiMinute.ts"

export const ANOMALY_RULE = {
  /** Anomalous above this z-score. */
  zThreshold: 3,
  /** The trailing window, in minutes. */
  baselineMinutes: 60,
  /** A minute with fewer baseline minutes than this (history too short) is not judged. */
  minBaselineMinutes: 30,
  /** The standard deviation used for z is at least this (one event or user). */
  stddevFloor: 1
} as const

/** The measures judged, by their KPI key and their API name. */
export const ANOMALY_MEASURES = [
  { key: "events", name: "events" },
  { key: "distinctUsers", name: "distinct_users" }
] as const satisfies ReadonlyArray<{ readonly key: KpiMeasureName; readonly name: string }>

export type AnomalyMeasure = (typeof ANOMALY_MEASURES)[number]["name"]

/** One closed minute's values of the judged measures. */
export type MinuteValues = Readonly<Record<AnomalyMeasure, number>>

export interface Anomaly {
  readonly minuteMs: number
  readonly measure: AnomalyMeasure
  readonly value: number
  readonly mean: number
  /** The sample standard deviation of the baseline (before the floor). */
  readonly stddev: number
  readonly z: number
  readonly baselineMinutes: number
}

export interface AnomalyInput {
  /** Closed minutes with a row (epoch ms of the minute's start) and their values. */
  readonly minutes: ReadonlyMap<number, MinuteValues>
  /** The first minute the warehouse holds (epoch ms), or null when it holds none. */
  readonly firstMinuteMs: number | null
  /** The minutes to judge: those with a row in [fromMs, toMs] (both minute starts). */
  readonly fromMs: number
  readonly toMs: number
}

/** Mean and sample standard deviation of `values` (n ≥ 2). */
export const meanAndStddev = (values: ReadonlyArray<number>): { readonly mean: number; readonly stddev: number } => {
  const n = values.length
  let sum = 0
  for (const value of values) sum += value
  const mean = sum / n
  let squares = 0
  for (const value of values) squares += (value - mean) * (value - mean)
  return { mean, stddev: n < 2 ? 0 : Math.sqrt(squares / (n - 1)) }
}

/** The anomalies among the closed minutes of [fromMs, toMs], newest first (then by measure). */
export const detectAnomalies = (input: AnomalyInput): ReadonlyArray<Anomaly> => {
  const found: Array<Anomaly> = []
  if (input.firstMinuteMs === null) return found
  const judged = [...input.minutes.keys()].filter((m) => m >= input.fromMs && m <= input.toMs).sort((a, b) => b - a)
  for (const minuteMs of judged) {
    const start = Math.max(minuteMs - ANOMALY_RULE.baselineMinutes * WINDOW_MS, input.firstMinuteMs)
    const baselineMinutes = Math.max(0, (minuteMs - start) / WINDOW_MS)
    if (baselineMinutes < ANOMALY_RULE.minBaselineMinutes) continue
    const values = input.minutes.get(minuteMs)
    if (values === undefined) continue
    for (const { name } of ANOMALY_MEASURES) {
      const baseline: Array<number> = []
      for (let t = start; t < minuteMs; t += WINDOW_MS) baseline.push(input.minutes.get(t)?.[name] ?? 0)
      const { mean, stddev } = meanAndStddev(baseline)
      const z = (values[name] - mean) / Math.max(stddev, ANOMALY_RULE.stddevFloor)
      if (z > ANOMALY_RULE.zThreshold) {
        found.push({ minuteMs, measure: name, value: values[name], mean, stddev, z, baselineMinutes })
      }
    }
  }
  return found
}
