/** The business section's derivations: attribution by both models side by side, segment flows. */
import type { AttributionReport, SegmentsReport } from "../../../models/api/Reports.ts"

type AttributionRow = AttributionReport["rows"][number]

export interface TouchRow {
  readonly source: string
  readonly campaign: string
  readonly currency: string | null
  readonly first: AttributionRow | undefined
  readonly last: AttributionRow | undefined
}

/** One row per source, campaign and currency, with the first- and the last-touch credit. */
export const compareTouches = (
  first: ReadonlyArray<AttributionRow>,
  last: ReadonlyArray<AttributionRow>
): Array<TouchRow> => {
  const key = (row: AttributionRow) => `${row.utm_source}\u0000${row.utm_campaign}\u0000${row.currency ?? ""}`
  const rows = new Map<string, TouchRow>()
  for (const row of first) {
    rows.set(key(row), {
      source: row.utm_source,
      campaign: row.utm_campaign,
      currency: row.currency,
      first: row,
      last: undefined
    })
  }
  for (const row of last) {
    const present = rows.get(key(row))
    rows.set(
      key(row),
      present === undefined
        ? { source: row.utm_source, campaign: row.utm_campaign, currency: row.currency, first: undefined, last: row }
        : { ...present, last: row }
    )
  }
  return [...rows.values()].sort(
    (a, b) =>
      (b.first?.revenue ?? 0) + (b.last?.revenue ?? 0) - (a.first?.revenue ?? 0) - (a.last?.revenue ?? 0) ||
      a.source.localeCompare(b.source)
  )
}

/** The Sankey of segment changes: "was X" → "now Y"; a user new to the run comes from "not segmented". */
export const segmentFlows = (report: SegmentsReport) => {
  const from = (segment: string | null) => (segment === null ? "not segmented" : `was ${segment}`)
  const links = report.transitions
    .filter((t) => t.users > 0)
    .map((t) => ({ source: from(t.from_segment), target: `now ${t.to_segment}`, value: t.users }))
  const names = [...new Set(links.flatMap((l) => [l.source, l.target]))]
  return { nodes: names.map((name) => ({ name })), links }
}
