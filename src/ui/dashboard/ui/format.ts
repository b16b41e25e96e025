/** How the dashboard writes numbers: one place, so cards, tables and charts agree. */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })
const decimal = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1, minimumFractionDigits: 1 })
const twoDecimals = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2, minimumFractionDigits: 2 })

export const DASH = "—"

const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 })

/** For axes: 120000 → "120K". */
export const formatCompact = (value: number): string => compact.format(value)

export const formatInt = (value: number | null | undefined): string =>
  value === null || value === undefined ? DASH : integer.format(value)

export const formatDecimal = (value: number | null | undefined): string =>
  value === null || value === undefined ? DASH : decimal.format(value)

export const formatRatio = (value: number | null | undefined): string =>
  value === null || value === undefined ? DASH : twoDecimals.format(value)

/** 0.4213 → "42.1 %". */
export const formatPercent = (rate: number | null | undefined): string =>
  rate === null || rate === undefined ? DASH : `${decimal.format(rate * 100)} %`

/** A difference of rates in percentage points: 0.031 → "+3.1 pp". */
export const formatPoints = (delta: number): string =>
  `${delta >= 0 ? "+" : "−"}${decimal.format(Math.abs(delta) * 100)} pp`

/** A relative change: 0.125 → "+12.5 %". */
export const formatChange = (change: number): string =>
  `${change >= 0 ? "+" : "−"}${decimal.format(Math.abs(change) * 100)} %`

export const formatSeconds = (seconds: number | null | undefined): string => {
  if (seconds === null || seconds === undefined) return DASH
  if (seconds < 60) return `${decimal.format(seconds)} s`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`
  return `${decimal.format(minutes / 60)} h`
}

export const formatMs = (ms: number | null | undefined): string =>
  ms === null || ms === undefined ? DASH : ms < 1000 ? `${integer.format(ms)} ms` : `${decimal.format(ms / 1000)} s`

export const formatMoney = (amount: number | null | undefined, currency: string): string => {
  if (amount === null || amount === undefined) return DASH
  try {
    // Cents matter in an order value, not in a six-figure total.
    const digits = Math.abs(amount) >= 10_000 ? 0 : 2
    return new Intl.NumberFormat("en-US", {
      style: "currency",
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits
    }).format(amount)
  } catch {
    return `${twoDecimals.format(amount)} ${currency}`
  }
}

/** A p-value as statisticians write it. */
export const formatP = (p: number | null | undefined): string => {
  if (p === null || p === undefined) return DASH
  return p < 0.001 ? "< 0.001" : p.toFixed(3)
}

/** "2026-11-02T10:05:00.000Z" → "10:05" (UTC, like every time the API gives). */
export const formatMinute = (iso: string): string => iso.slice(11, 16)

/** A minute with its day: "2026-11-02 10:05". */
export const formatDayMinute = (iso: string): string => `${iso.slice(0, 10)} ${iso.slice(11, 16)}`

export const formatDateTime = (value: Date | string | null): string => {
  if (value === null) return DASH
  const iso = typeof value === "string" ? value : value.toISOString()
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`
}
