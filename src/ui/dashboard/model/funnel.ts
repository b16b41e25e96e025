/** The funnel report as charts read it: one series per breakdown value, steps in funnel order. */
import type { FunnelReport } from "../../../models/api/Reports.ts"

export type FunnelRow = FunnelReport["rows"][number]

export interface FunnelSeries {
  readonly breakdown: string
  readonly rows: ReadonlyArray<FunnelRow>
}

export const seriesOfFunnel = (report: FunnelReport): Array<FunnelSeries> => {
  const byValue = new Map<string, Array<FunnelRow>>()
  for (const row of report.rows) {
    const list = byValue.get(row.breakdown_value) ?? []
    list.push(row)
    byValue.set(row.breakdown_value, list)
  }
  return [...byValue.entries()].map(([breakdown, rows]) => ({
    breakdown,
    rows: [...rows].sort((a, b) => a.step_index - b.step_index)
  }))
}

/** A step's name: its event type, or "k of the steps" in unordered mode. */
export const stepLabel = (report: FunnelReport, row: FunnelRow): string =>
  row.step_event_type ?? (report.mode === "unordered" ? `any ${row.step_index} of the steps` : `step ${row.step_index}`)

/** Whether anyone entered the funnel. */
export const funnelIsEmpty = (report: FunnelReport): boolean => report.rows.every((row) => row.users === 0)
