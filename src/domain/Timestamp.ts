/**
 * ISO 8601 timestamps with an explicit offset, kept as the string the client sent. The same parser backs
 * the schema check and `epochMillis`, so "valid" and "convertible" can never disagree.
 */
import { Schema } from "effect"
import { reason } from "./RejectReason.ts"

const ISO_WITH_OFFSET = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/

/** Generation pattern: only calendar-safe days (1–28) and years well inside the accepted range, so every sample is valid. */
const GENERATED =
  "^20(0[1-9]|[1-8][0-9]|9[0-8])-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{3})?(Z|[+-](0[0-9]|1[0-3]):[0-5][0-9])$"

/** Events before 2000 or from 2100 on come from broken clocks (epoch defaults, typos), not from users. */
export const MIN_TIMESTAMP_MS = Date.UTC(2000, 0, 1)
export const MAX_TIMESTAMP_MS = Date.UTC(2100, 0, 1)

const parse = (input: string): number | undefined => {
  const match = ISO_WITH_OFFSET.exec(input)
  if (match === null) return undefined
  const [, y, mo, d, h, mi, s, fraction, sign, oh, om] = match
  const year = Number(y)
  const month = Number(mo)
  const day = Number(d)
  const hour = Number(h)
  const minute = Number(mi)
  const second = Number(s)
  const offsetHours = Number(oh ?? "0")
  const offsetMinutes = Number(om ?? "0")
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  // Date rolls impossible days over (Feb 30 → Mar 2); a changed month or day means the input was not a calendar date.
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) return undefined
  const millis = Number((fraction ?? "").padEnd(3, "0").slice(0, 3))
  const offset = (sign === "-" ? -1 : 1) * (offsetHours * 60 + offsetMinutes) * 60_000
  return date.getTime() + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset
}

/** Milliseconds since the epoch of a timestamp accepted by `Timestamp`; `NaN` for any other string (like `Date.parse`). */
export const epochMillis = (timestamp: string): number => parse(timestamp) ?? Number.NaN

/** Formats epoch milliseconds as the canonical UTC form (`2026-11-22T10:00:00.000Z`). */
export const formatTimestamp = (millis: number): string => new Date(millis).toISOString()

const isIsoTimestamp = Schema.makeFilter(
  (input: string) =>
    parse(input) !== undefined || "expected an ISO 8601 date-time with an offset, e.g. 2026-11-22T10:00:00.000Z",
  {
    expected: "an ISO 8601 date-time with an offset",
    toJsonSchema: () => ({ format: "date-time", pattern: ISO_WITH_OFFSET.source }),
    arbitraryConstraint: { patterns: [{ source: GENERATED, flags: "" }] },
    ...reason("invalid_timestamp")
  }
)

const isInAcceptedRange = Schema.makeFilter(
  (input: string) => {
    const millis = parse(input)
    return (
      millis === undefined ||
      (millis >= MIN_TIMESTAMP_MS && millis < MAX_TIMESTAMP_MS) ||
      "expected a date-time from 2000-01-01 up to 2100-01-01"
    )
  },
  { expected: "a date-time from 2000 up to 2100", toJsonSchema: () => [{}, true], ...reason("timestamp_out_of_range") }
)

/** Marks the schema as a point in time for consumers that type columns (the lake writes TIMESTAMPTZ). */
export const timestampAnnotation = { duckdbType: "TIMESTAMPTZ" } as const

export const Timestamp = Schema.String.check(isIsoTimestamp, isInAcceptedRange).annotate({
  description: "ISO 8601 date-time with an offset (Z or ±hh:mm)",
  ...timestampAnnotation
})
