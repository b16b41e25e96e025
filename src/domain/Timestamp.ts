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

const digit = (input: string, at: number): number => input.charCodeAt(at) - 48
const twoDigits = (input: string, at: number): number => digit(input, at) * 10 + digit(input, at + 1)

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeapYear = (year: number): boolean => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

/** Days from 1970-01-01 to a proleptic Gregorian date (Hinnant's days_from_civil; exact for any year). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/**
 * The format is `ISO_WITH_OFFSET` (the single definition, also exported to JSON Schema); once it
 * matched, every field sits at a known position, so the numbers are read from the characters
 * directly instead of through capture groups and a `Date`.
 */
const parseUncached = (input: string): number | undefined => {
  if (!ISO_WITH_OFFSET.test(input)) return undefined
  const year = digit(input, 0) * 1000 + digit(input, 1) * 100 + twoDigits(input, 2)
  const month = twoDigits(input, 5)
  const day = twoDigits(input, 8)
  const hour = twoDigits(input, 11)
  const minute = twoDigits(input, 14)
  const second = twoDigits(input, 17)
  // Fraction: up to 9 digits after position 19; milliseconds are its first three, zero-padded.
  let at = 19
  let millis = 0
  if (input.charCodeAt(at) === 46 /* . */) {
    at++
    for (let place = 0; at < input.length; place++, at++) {
      const d = digit(input, at)
      if (d < 0 || d > 9) break
      if (place < 3) millis += d * (place === 0 ? 100 : place === 1 ? 10 : 1)
    }
  }
  let offsetHours = 0
  let offsetMinutes = 0
  let sign = 1
  if (input.charCodeAt(at) !== 90 /* Z */) {
    sign = input.charCodeAt(at) === 45 /* - */ ? -1 : 1
    offsetHours = twoDigits(input, at + 1)
    offsetMinutes = twoDigits(input, at + 4)
  }
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return undefined
  // Not a calendar date (month 13, Feb 30, Feb 29 of a common year).
  if (month < 1 || month > 12 || day < 1) return undefined
  const daysInMonth = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0)
  if (day > daysInMonth) return undefined
  const offset = sign * (offsetHours * 60 + offsetMinutes) * 60_000
  return daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset
}

/**
 * `parseUncached` behind a two-entry memo. A timestamp field is parsed by both of its checks (format,
 * then range) and again when ingest computes the skew correction; an event has two timestamps
 * (occurred_at, sent_at), so two entries make each of them parsed once per event. The memo holds
 * only the last two strings and their results, so it cannot grow or go stale (parsing is pure).
 */
let lastInput: string | undefined
let lastResult: number | undefined
let previousInput: string | undefined
let previousResult: number | undefined
const parse = (input: string): number | undefined => {
  if (input === lastInput) return lastResult
  if (input === previousInput) return previousResult
  const result = parseUncached(input)
  previousInput = lastInput
  previousResult = lastResult
  lastInput = input
  lastResult = result
  return result
}

/** Milliseconds since the epoch of a timestamp accepted by `Timestamp`; `NaN` for any other string (like `Date.parse`). */
export const epochMillis = (timestamp: string): number => parse(timestamp) ?? Number.NaN

const DAY_MS = 86_400_000
let cachedDay = Number.NaN
let cachedDayPrefix = ""

const pad2 = (n: number): string => (n < 10 ? `0${n}` : `${n}`)
const pad3 = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`)

/**
 * Formats epoch milliseconds as the canonical UTC form (`2026-11-22T10:00:00.000Z`), exactly as
 * `toISOString`. Ingest formats one per event; the date part is cached per UTC day and the time of
 * day written from integers, which costs a fifth of building a `Date`.
 */
export const formatTimestamp = (millis: number): string => {
  if (!Number.isInteger(millis) || millis < 0 || millis >= MAX_TIMESTAMP_MS) return new Date(millis).toISOString()
  const day = Math.floor(millis / DAY_MS)
  if (day !== cachedDay) {
    cachedDayPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11)
    cachedDay = day
  }
  let rest = millis - day * DAY_MS
  const ms = rest % 1000
  rest = (rest - ms) / 1000
  const seconds = rest % 60
  rest = (rest - seconds) / 60
  const minutes = rest % 60
  const hours = (rest - minutes) / 60
  return `${cachedDayPrefix}${pad2(hours)}:${pad2(minutes)}:${pad2(seconds)}.${pad3(ms)}Z`
}

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
