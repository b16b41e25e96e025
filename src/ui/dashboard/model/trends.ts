/** The trends section: a KPI's daily series folded into weeks or months, against the previous period. */
import type { EngagementReport } from "../../../models/api/Reports.ts"
import type { EngagementKpi } from "./kpis.ts"
import { addDays, type Grain } from "./query.ts"

type Day = EngagementReport["days"][number]

/** The bucket a day falls in: itself, the Monday of its ISO week, or the first of its month. */
export const bucketOf = (day: string, grain: Grain): string => {
  switch (grain) {
    case "day":
      return day
    case "month":
      return `${day.slice(0, 7)}-01`
    case "week": {
      const date = new Date(`${day}T00:00:00Z`)
      const sinceMonday = (date.getUTCDay() + 6) % 7
      return new Date(date.getTime() - sinceMonday * 86_400_000).toISOString().slice(0, 10)
    }
  }
}

export interface Point {
  readonly bucket: string
  readonly value: number | null
}

/**
 * The KPI per bucket of the range, oldest first, each computed over its days as the report computes a
 * range; every bucket of the range is there (a bucket without days has no value), so two ranges of
 * the same length line up bucket by bucket.
 */
export const seriesOf = (
  days: ReadonlyArray<Day>,
  kpi: EngagementKpi,
  grain: Grain,
  range: { readonly from: string; readonly to: string }
): Array<Point> => {
  const buckets = new Map<string, Array<Day>>()
  for (let day = range.from; day <= range.to; day = addDays(day, 1)) {
    const bucket = bucketOf(day, grain)
    if (!buckets.has(bucket)) buckets.set(bucket, [])
  }
  for (const day of days) buckets.get(bucketOf(day.event_date, grain))?.push(day)
  return [...buckets.entries()].map(([bucket, list]) => ({
    bucket,
    value: list.length === 0 ? null : kpi.ofDays(list)
  }))
}

export interface TrendRow {
  readonly bucket: string
  readonly value: number | null
  readonly previousBucket: string | null
  readonly previous: number | null
}

/** Current and previous period side by side: the i-th bucket of each. */
export const alignPeriods = (current: ReadonlyArray<Point>, previous: ReadonlyArray<Point>): Array<TrendRow> =>
  current.map((point, i) => ({
    bucket: point.bucket,
    value: point.value,
    previousBucket: previous[i]?.bucket ?? null,
    previous: previous[i]?.value ?? null
  }))
