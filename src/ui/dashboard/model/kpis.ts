/**
 * The launch overview's KPIs: what each card shows from the engagement and revenue reports, its change
 * against the previous period of the same length, and its daily series. The definitions over days are
 * the API's totals (`EngagementTotals` in models/api/Reports.ts), so a week or a month of the trends
 * section is computed exactly as the report computes a range.
 */
import type { EngagementReport, RevenueReport } from "../../../models/api/Reports.ts"
import { formatDecimal, formatInt, formatMoney, formatPercent, formatRatio, formatSeconds } from "../ui/format.ts"

type Day = EngagementReport["days"][number]
type Totals = EngagementReport["totals"]

const sum = (days: ReadonlyArray<Day>, read: (day: Day) => number | null) =>
  days.reduce((total, day) => total + (read(day) ?? 0), 0)
const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator

/** How a KPI changes: relative (counts, durations, money) or in percentage points (rates). */
export type ChangeKind = "relative" | "points"

export interface EngagementKpi {
  readonly key: string
  readonly label: string
  readonly help: string
  readonly change: ChangeKind
  readonly format: (value: number | null) => string
  /** The range's value as the report's totals give it. */
  readonly ofTotals: (totals: Totals) => number | null
  /** The same over any set of days (a week, a month). */
  readonly ofDays: (days: ReadonlyArray<Day>) => number | null
  /** One day's value. */
  readonly ofDay: (day: Day) => number | null
}

export const ENGAGEMENT_KPIS: ReadonlyArray<EngagementKpi> = [
  {
    key: "dau",
    label: "Daily active users",
    help: "mean of the days' distinct active users",
    change: "relative",
    format: formatDecimal,
    ofTotals: (t) => t.average_dau,
    ofDays: (days) => (days.length === 0 ? null : sum(days, (d) => d.dau) / days.length),
    ofDay: (d) => d.dau
  },
  {
    key: "adoption",
    label: "Adoption",
    help: "configurator starters per active user (user-days)",
    change: "points",
    format: formatPercent,
    ofTotals: (t) => t.adoption_rate,
    ofDays: (days) =>
      ratio(
        sum(days, (d) => d.starters),
        sum(days, (d) => d.dau)
      ),
    ofDay: (d) => d.adoption_rate
  },
  {
    key: "completion",
    label: "Completion",
    help: "starters who completed the configurator within 24 h",
    change: "points",
    format: formatPercent,
    ofTotals: (t) => t.completion_rate,
    ofDays: (days) =>
      ratio(
        sum(days, (d) => d.completed_within_24h),
        sum(days, (d) => d.starters)
      ),
    ofDay: (d) => d.completion_rate
  },
  {
    key: "depth",
    label: "Engagement depth",
    help: "configurator interactions (options, sliders) per starter",
    change: "relative",
    format: formatRatio,
    ofTotals: (t) => t.interactions_per_starter,
    ofDays: (days) =>
      ratio(
        sum(days, (d) => d.configurator_interactions),
        sum(days, (d) => d.starters)
      ),
    ofDay: (d) => d.interactions_per_starter
  },
  {
    key: "session",
    label: "Session duration",
    help: "mean session length, sessions weighted",
    change: "relative",
    format: formatSeconds,
    ofTotals: (t) => t.avg_session_duration_s,
    ofDays: (days) =>
      ratio(
        sum(days, (d) => (d.avg_session_duration_s ?? 0) * d.sessions),
        sum(days, (d) => (d.avg_session_duration_s === null ? 0 : d.sessions))
      ),
    ofDay: (d) => d.avg_session_duration_s
  },
  {
    key: "share",
    label: "Share rate",
    help: "completers who shared their result",
    change: "points",
    format: formatPercent,
    ofTotals: (t) => t.share_rate,
    ofDays: (days) =>
      ratio(
        sum(days, (d) => d.sharers),
        sum(days, (d) => d.completers)
      ),
    ofDay: (d) => d.share_rate
  },
  {
    key: "events",
    label: "Events",
    help: "events of the range",
    change: "relative",
    format: formatInt,
    ofTotals: (t) => t.events,
    ofDays: (days) => sum(days, (d) => d.events),
    ofDay: (d) => d.events
  }
]

/** The KPIs on the overview's cards (events stay in the trends). */
export const CARD_KPIS = ENGAGEMENT_KPIS.filter((kpi) => kpi.key !== "events")

export interface Change {
  readonly text: string
  readonly direction: "up" | "down" | "flat"
  readonly previous: string
}

/** The change from `previous` to `current`; null when either is missing or a relative base is 0. */
export const changeOf = (
  current: number | null,
  previous: number | null,
  kind: ChangeKind,
  format: (value: number | null) => string
): Change | null => {
  if (current === null || previous === null) return null
  const delta = kind === "points" ? current - previous : previous === 0 ? null : (current - previous) / previous
  if (delta === null) return null
  const direction = Math.abs(delta) < 0.0005 ? "flat" : delta > 0 ? "up" : "down"
  const magnitude = `${(Math.abs(delta) * 100).toFixed(1)}`
  const sign = direction === "flat" ? "±" : delta > 0 ? "+" : "−"
  return {
    text: `${sign}${magnitude} ${kind === "points" ? "pp" : "%"}`,
    direction,
    previous: format(previous)
  }
}

export interface Card {
  readonly key: string
  readonly label: string
  readonly help: string
  readonly value: number | null
  readonly display: string
  readonly change: Change | null
  readonly series: ReadonlyArray<{ readonly day: string; readonly value: number | null }>
}

export const engagementCards = (current: EngagementReport, previous: EngagementReport | undefined): Array<Card> =>
  CARD_KPIS.map((kpi) => {
    const value = kpi.ofTotals(current.totals)
    return {
      key: kpi.key,
      label: kpi.label,
      help: kpi.help,
      value,
      display: kpi.format(value),
      change:
        previous === undefined || previous.totals.days === 0
          ? null
          : changeOf(value, kpi.ofTotals(previous.totals), kpi.change, kpi.format),
      series: current.days.map((day) => ({ day: day.event_date, value: kpi.ofDay(day) }))
    }
  })

/** The currency with the most revenue in the range (currencies never add up), or undefined. */
export const mainCurrency = (report: RevenueReport): string | undefined =>
  [...report.totals].sort((a, b) => b.revenue - a.revenue)[0]?.currency

export const revenueCards = (current: RevenueReport, previous: RevenueReport | undefined): Array<Card> => {
  const currency = mainCurrency(current)
  const total = current.totals.find((t) => t.currency === currency)
  const before = previous?.totals.find((t) => t.currency === currency)
  const money = (value: number | null) => formatMoney(value, currency ?? "XXX")
  const daily = (read: (row: RevenueReport["rows"][number]) => number | null) =>
    current.rows.filter((row) => row.currency === currency).map((row) => ({ day: row.order_date, value: read(row) }))
  const others = current.totals.length - 1
  const note = others > 0 ? ` (${currency}; ${others} other currenc${others === 1 ? "y" : "ies"} in Business)` : ""
  return [
    {
      key: "revenue",
      label: "Revenue",
      help: `purchase revenue${note}`,
      value: total?.revenue ?? null,
      display: money(total?.revenue ?? null),
      change: changeOf(total?.revenue ?? null, before?.revenue ?? null, "relative", money),
      series: daily((row) => row.revenue)
    },
    {
      key: "aov",
      label: "Average order value",
      help: `revenue per order${note}`,
      value: total?.average_order_value ?? null,
      display: money(total?.average_order_value ?? null),
      change: changeOf(total?.average_order_value ?? null, before?.average_order_value ?? null, "relative", money),
      series: daily((row) => row.average_order_value)
    }
  ]
}
