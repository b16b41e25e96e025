/**
 * The bounded building blocks every event field is made of. Each limit is a schema check tagged with
 * the reject reason its failure maps to, so the limits are enforced, documented (JSON Schema) and
 * generated (arbitraries) from one place.
 */
import { Schema } from "effect"
import { reason } from "./RejectReason.ts"

export const MAX_ID_LENGTH = 128
export const MAX_URL_LENGTH = 2048
export const MAX_TEXT_LENGTH = 1024
export const MAX_MAP_KEYS = 64
export const MAX_MAP_DEPTH = 4
export const MAX_ARRAY_ITEMS = 64

const maxLength = (max: number) => Schema.isMaxLength(max, reason("too_large"))

/**
 * Well-formed Unicode: no lone UTF-16 surrogate (`"\ud800"` is valid JSON). Parquet stores UTF-8, which
 * cannot hold one, so it would be stored as U+FFFD and distinct ids would merge; refusing it at the
 * door keeps what is accepted exactly what is stored. Every string primitive below carries it.
 */
const wellFormed = Schema.makeFilter((s: string) => s.isWellFormed(), {
  expected: "well-formed Unicode (no lone surrogate)",
  ...reason("invalid_unicode")
})

/** An identifier chosen by the product (user, session, product, order…): 1–128 characters, no control characters (they break logs, CSV exports and SQL tooling). */
export const Id = Schema.String.check(
  Schema.isMinLength(1),
  maxLength(MAX_ID_LENGTH),
  Schema.isPattern(/^\P{Cc}+$/u, { expected: "an identifier without control characters" }),
  wellFormed
).annotate({ description: "identifier, 1-128 characters" })

/** Free text (titles, queries, labels): at most 1,024 characters. */
export const Text = Schema.String.check(maxLength(MAX_TEXT_LENGTH), wellFormed)

/** A client-generated UUID (any version); the idempotency key of an event. */
export const Uuid = Schema.String.check(maxLength(36), Schema.isUUID(undefined, reason("invalid_uuid")))

/** An absolute URL (any scheme, so app deep links pass), at most 2,048 characters. */
export const Url = Schema.String.check(
  maxLength(MAX_URL_LENGTH),
  Schema.isPattern(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/, { expected: "an absolute URL" }),
  wellFormed
)

/** The path part of a URL, starting with `/`, at most 2,048 characters. */
export const UrlPath = Schema.String.check(
  maxLength(MAX_URL_LENGTH),
  Schema.isPattern(/^\/\S*$/, { expected: "a URL path starting with /" }),
  wellFormed
)

const finite = Schema.isFinite(reason("non_finite_number"))
const atLeast = (minimum: number) => Schema.isGreaterThanOrEqualTo(minimum, reason("value_out_of_range"))
const atMost = (maximum: number) => Schema.isLessThanOrEqualTo(maximum, reason("value_out_of_range"))

/** Any finite number (NaN and ±Infinity cannot be stored or aggregated). */
export const FiniteNumber = Schema.Number.check(finite)

/** An integer within bounds that fit a 32-bit column. */
export const IntBetween = (minimum: number, maximum: number) =>
  Schema.Number.check(finite, Schema.isInt(), atLeast(minimum), atMost(maximum))

/** A money amount in major units (12.5 = twelve and a half): never negative, at most a trillion. */
export const Amount = Schema.Number.check(finite, atLeast(0), atMost(1e12))

/** How many of one item: a positive integer. */
export const Quantity = IntBetween(1, 10_000)

/** A count of things shown or held (results, items). */
export const Count = IntBetween(0, 1_000_000)

/** Zero-based position in a list or flow. */
export const Position = IntBetween(0, 10_000)

/** A duration in milliseconds, up to 7 days. */
export const DurationMs = IntBetween(0, 7 * 24 * 3_600_000)

/** A JSON value inside a free-form map. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | ReadonlyArray<JsonValue>
  | { readonly [key: string]: JsonValue }

const MapKey = Schema.String.check(Schema.isMinLength(1), maxLength(MAX_ID_LENGTH), wellFormed)

const JsonPrimitive: Schema.Codec<JsonValue> = Schema.Union([Schema.Null, Schema.Boolean, FiniteNumber, Text]).annotate(
  {
    // Only reached once the nesting budget is spent, so a container here is a map nested too deep.
    message: `expected a JSON primitive: free-form maps nest at most ${MAX_MAP_DEPTH} levels`,
    ...reason("too_large")
  }
)

const nest = (inner: Schema.Codec<JsonValue>): Schema.Codec<JsonValue> =>
  Schema.Union([
    JsonPrimitive,
    Schema.Array(inner).check(Schema.isMaxLength(MAX_ARRAY_ITEMS, reason("too_large"))),
    Schema.Record(MapKey, inner).check(Schema.isMaxProperties(MAX_MAP_KEYS, reason("too_large")))
  ])

/**
 * An open-ended map (identify traits, search filters): at most 64 keys per object and 4 levels deep,
 * values JSON primitives, arrays or objects. Depth is part of the shape (each level allows one fewer),
 * so the JSON Schema shows it and generated maps are valid by construction.
 */
export const FreeFormMap = Schema.Record(MapKey, nest(nest(nest(JsonPrimitive)))).check(
  Schema.isMaxProperties(MAX_MAP_KEYS, reason("too_large"))
)
