/**
 * An event's JSON text as it arrived (the Kafka record value, which ingest wrote with one JSON.stringify),
 * handed to the NDJSON staging (EventJsonStaging.ts) instead of serialising the decoded event again:
 * the JSON.stringify of each event (~3.5 µs for a 700 B event) is saved on the stream's busiest thread.
 * The text (not the record's bytes: those are slices of whole fetch responses, which they would keep
 * alive) is what JSON.parse read, so invalid UTF-8 in the record is U+FFFD in both.
 *
 * The text stands in for `JSON.stringify(event)` only where DuckDB reads the same cells from both, which
 * `rawEventJson` checks in one pass over the text (≈ 2–3 µs, key count included), else it returns
 * undefined and the writer serialises the event as before:
 * - starting with `{`;
 * - no line break outside a string (one line per row) and no whitespace there at all (minified, so the
 *   structural checks below see every token);
 * - no `\ud…` escape: DuckDB's JSON reader refuses a lone surrogate (the schemas refuse them at the
 *   door, see Primitives.ts), and a paired one is rare enough to take the slow path, whose
 *   JSON.stringify writes the character itself;
 * - no `-0` number (JSON.stringify writes `0`; DuckDB would store −0.0);
 * - exactly as many keys as the parsed value has: JSON.parse keeps the last of a repeated key, while
 *   DuckDB refuses the whole file (a typed field: the writer would stall) or keeps both and reads the
 *   first (inside a JSON column).
 * What may still differ is only the spelling of a number inside a JSON column (`1.0`, `1e2`; DuckDB
 * re-serialises JSON columns anyway) and the order of integer-like keys of an open map: the same JSON
 * value. The decoded event equals JSON.parse of this text (the schemas have no transformations and
 * refuse unknown keys), so every typed cell is the same.
 */
declare const RawEventJsonBrand: unique symbol

/** JSON text of an event that `rawEventJson` accepted for the staging. */
export type RawEventJson = string & { readonly [RawEventJsonBrand]: true }

const QUOTE = 0x22
const COLON = 0x3a
const MINUS = 0x2d
const ZERO = 0x30
const ONE = 0x31
const NINE = 0x39
const DOT = 0x2e
const LOWER_U = 0x75
const LOWER_D = 0x64
const UPPER_D = 0x44
const OPEN_BRACE = 0x7b

/** Keys of every object in a JSON value (arrays walked, scalars none). */
const countKeys = (value: unknown): number => {
  if (typeof value !== "object" || value === null) return 0
  let n = 0
  if (Array.isArray(value)) {
    for (const item of value) n += countKeys(item)
    return n
  }
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue
    n += 1 + countKeys(Reflect.get(value, key))
  }
  return n
}

/**
 * The text, when it may replace `JSON.stringify(parsed)` in the staging (see the module comment);
 * `parsed` must be `JSON.parse(text)`. It runs per event: strings (most of the text) are skipped with
 * `indexOf` to their closing quote, so only the characters between them are looked at one by one.
 */
export const rawEventJson = (text: string, parsed: unknown): RawEventJson | undefined => {
  const n = text.length
  if (n === 0 || text.charCodeAt(0) !== OPEN_BRACE) return undefined
  let keys = 0
  // Backslashes occur only inside strings (the text parsed); the next one is looked up again only once passed.
  let backslash = text.indexOf("\\")
  if (backslash === -1) backslash = n
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === QUOTE) {
      let j = i + 1
      for (;;) {
        const close = text.indexOf('"', j)
        if (close === -1) return undefined
        if (backslash > close) {
          j = close
          break
        }
        // An escape before the closing quote: `\u` + d… is a surrogate; the escaped character is skipped.
        if (text.charCodeAt(backslash + 1) === LOWER_U) {
          const d = text.charCodeAt(backslash + 2)
          if (d === LOWER_D || d === UPPER_D) return undefined
        }
        j = backslash + 2
        backslash = text.indexOf("\\", j)
        if (backslash === -1) backslash = n
      }
      if (text.charCodeAt(j + 1) === COLON) keys++
      i = j
    } else if (c <= 0x20) {
      // Whitespace or a control character outside a string: not minified JSON.
      return undefined
    } else if (c === MINUS && text.charCodeAt(i + 1) === ZERO) {
      // `-0`, `-0.0`, `-0e…`: negative zero unless a non-zero digit follows the point (`-0.5`).
      if (text.charCodeAt(i + 2) !== DOT) return undefined
      let j = i + 3
      while (text.charCodeAt(j) === ZERO) j++
      const after = text.charCodeAt(j)
      if (!(after >= ONE && after <= NINE)) return undefined
    }
  }
  if (keys !== countKeys(parsed)) return undefined
  return text as RawEventJson
}
