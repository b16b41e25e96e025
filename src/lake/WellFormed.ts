/**
 * Lone UTF-16 surrogates: Parquet stores UTF-8, which cannot hold them. JSON.stringify escapes one as
 * `\udXXX`; DuckDB stores that in a JSON column but its JSON reader rejects it, which would make the
 * whole file unreadable. Such strings become U+FFFD, as UTF-8 VARCHARs do.
 */
import { Predicate } from "effect"

/** The value with every string (and object key) made well-formed. */
export const wellFormed = (value: unknown): unknown => {
  if (typeof value === "string") return value.toWellFormed()
  if (Array.isArray(value)) return value.map(wellFormed)
  if (Predicate.isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.toWellFormed(), wellFormed(v)]))
  }
  return value
}

export const wellFormedJson = (text: string): string => JSON.stringify(wellFormed(JSON.parse(text)))

/**
 * JSON text of a value, well-formed: JSON.stringify writes a lone surrogate as `\udXXX` and never
 * escapes a paired one, so text without `\ud` needs no repair (a false alarm only costs the slow path).
 */
export const wellFormedStringify = (value: unknown): string => {
  const text = JSON.stringify(value)
  return text.includes("\\ud") ? JSON.stringify(wellFormed(value)) : text
}
