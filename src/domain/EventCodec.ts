/**
 * Decoding and encoding events on the hot path (ingest, per event; the stream processor, per record).
 * Decoding dispatches on `event_type` to a decoder built once per type, so an unknown type is reported
 * as such and a known one pays for one struct, not the whole union. Failures become an `EventRejection`
 * naming the reason code and the JSON path of the first offending value.
 */
import { Result, Schema, SchemaIssue } from "effect"
import {
  Catalog,
  type EnrichedEvent,
  type EnrichedEventJson,
  EVENT_TYPES,
  type EventType,
  type TrackEvent,
  type TrackEventJson
} from "./Catalog.ts"
import { makeGuard } from "./FastValidator.ts"
import {
  EventRejection,
  type RejectReason,
  RejectReason as RejectReasonSchema,
  rejectReasonKey
} from "./RejectReason.ts"

/** Unknown keys are refused rather than dropped: a misspelt property must not vanish silently. */
const parseOptions = { onExcessProperty: "error" } as const

type Decoder<A> = (input: unknown) => Result.Result<A, Schema.SchemaError>
type Encoder<A, E> = (value: A) => Result.Result<E, Schema.SchemaError>

const byType = <A>(build: (type: EventType) => A): ReadonlyMap<string, A> =>
  new Map(EVENT_TYPES.map((type) => [type, build(type)]))

const eventDecoders = byType(
  (type): Decoder<TrackEvent> => Schema.decodeUnknownResult(Catalog[type].schema, parseOptions)
)
const enrichedDecoders = byType(
  (type): Decoder<EnrichedEvent> => Schema.decodeUnknownResult(Catalog[type].enriched, parseOptions)
)
const eventEncoders = byType(
  (type): Encoder<TrackEvent, TrackEventJson> => Schema.encodeUnknownResult(Catalog[type].schema, parseOptions)
)
const enrichedEncoders = byType(
  (type): Encoder<EnrichedEvent, EnrichedEventJson> => Schema.encodeUnknownResult(Catalog[type].enriched, parseOptions)
)

/** Reads just enough of the input to pick the decoder; its failures are reported like any other. */
const decodeDispatch = Schema.decodeUnknownResult(Schema.Struct({ event_type: Schema.String }))
const parseJson = Schema.decodeUnknownResult(Schema.fromJsonString(Schema.Unknown))

const isReason = Schema.is(RejectReasonSchema)
const formatMessage = SchemaIssue.makeFormatterStandardSchemaV1()

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

/** `["properties", "items", 2, "unit_price"]` → `$.properties.items[2].unit_price`. */
export const toJsonPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = "$"
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && IDENTIFIER.test(key)) out += `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

const leafReason = (issue: SchemaIssue.Issue): RejectReason => {
  switch (issue._tag) {
    case "MissingKey":
      return "missing_field"
    case "UnexpectedKey":
      return "unexpected_field"
    default:
      return "schema_violation"
  }
}

const annotatedReason = (annotations: Schema.Annotations.Annotations | undefined): RejectReason | undefined => {
  const value = annotations?.[rejectReasonKey]
  return isReason(value) ? value : undefined
}

interface Located {
  readonly path: ReadonlyArray<PropertyKey>
  readonly reason: RejectReason | undefined
  readonly leaf: SchemaIssue.Issue
  /** The node whose formatted message explains the failure (a failed check, or the leaf). */
  readonly explained: SchemaIssue.Issue
}

/**
 * Follows the first branch of the issue tree down to its first leaf, collecting the path; the reason is
 * the innermost `rejectReason` annotation on the way (a failed check or an annotated schema node).
 */
const locate = (
  issue: SchemaIssue.Issue,
  path: ReadonlyArray<PropertyKey>,
  reason: RejectReason | undefined,
  explained: SchemaIssue.Issue
): Located => {
  switch (issue._tag) {
    case "Pointer":
      return locate(issue.issue, [...path, ...issue.path], reason, issue.issue)
    case "Composite":
      return locate(issue.issues[0], path, annotatedReason(issue.ast.annotations) ?? reason, explained)
    case "AnyOf": {
      const inner = annotatedReason(issue.ast.annotations) ?? reason
      const [first] = issue.issues
      return first === undefined
        ? { path, reason: inner, leaf: issue, explained }
        : locate(first, path, inner, explained)
    }
    case "Filter":
      return locate(issue.issue, path, annotatedReason(issue.filter.annotations) ?? reason, issue)
    case "Encoding":
      return locate(issue.issue, path, reason, explained)
    case "InvalidType":
      return { path, reason: annotatedReason(issue.ast.annotations) ?? reason, leaf: issue, explained }
    default:
      return { path, reason, leaf: issue, explained }
  }
}

/** Maps a schema issue to the rejection that ingest returns and the dead-letter topic stores. */
export const toRejection = (issue: SchemaIssue.Issue): EventRejection => {
  const located = locate(issue, [], undefined, issue)
  return new EventRejection({
    reason: located.reason ?? leafReason(located.leaf),
    path: toJsonPath(located.path),
    message: formatMessage(located.explained).issues[0]?.message ?? "invalid value"
  })
}

const reject = (reason: RejectReason, path: string, message: string) =>
  Result.fail(new EventRejection({ reason, path, message }))

const dispatch = <A>(decoders: ReadonlyMap<string, Decoder<A>>, input: unknown): Result.Result<A, EventRejection> => {
  const head = decodeDispatch(input)
  if (Result.isFailure(head)) return Result.fail(toRejection(head.failure.issue))
  const type = head.success.event_type
  const decode = decoders.get(type)
  if (decode === undefined) {
    const shown = type.length > 64 ? `${type.slice(0, 64)}…` : type
    return reject("unknown_event_type", "$.event_type", `unknown event type ${JSON.stringify(shown)}`)
  }
  return Result.mapError(decode(input), (error) => toRejection(error.issue))
}

type Guard<A> = (input: unknown) => input is A

/**
 * Per type, a guard compiled from the same schema (see FastValidator): it says whether the decoder
 * would accept the input, without building the decoder's copy or any issue. The schemas have no
 * transformations (their Type is their Encoded, which `makeGuard`'s signature requires), so an
 * accepted input is already the decoded event.
 */
const eventGuards = byType((type): Guard<TrackEvent> => makeGuard(Catalog[type].schema))
const enrichedGuards = byType((type): Guard<EnrichedEvent> => makeGuard(Catalog[type].enriched))

/**
 * The fast path, then the decoder: a valid event is returned as it is after one allocation-free walk;
 * anything else is decoded by Effect, which names the reason and path. The guard agrees with the
 * decoder on every input (property-tested), so the fast path never changes what is accepted.
 */
const decodeFast = <A>(
  guards: ReadonlyMap<string, Guard<A>>,
  decoders: ReadonlyMap<string, Decoder<A>>,
  input: unknown
): Result.Result<A, EventRejection> => {
  if (typeof input === "object" && input !== null && "event_type" in input) {
    const type = input.event_type
    const guard = typeof type === "string" ? guards.get(type) : undefined
    if (guard?.(input) === true) return Result.succeed(input)
  }
  return dispatch(decoders, input)
}

/** Decodes one client event (already parsed from JSON, or built by a JS caller). */
export const decodeEvent = (input: unknown): Result.Result<TrackEvent, EventRejection> =>
  decodeFast(eventGuards, eventDecoders, input)

/** Decodes one `events_raw` record value (already parsed from JSON). */
export const decodeEnrichedEvent = (input: unknown): Result.Result<EnrichedEvent, EventRejection> =>
  decodeFast(enrichedGuards, enrichedDecoders, input)

/** Whether `decodeEvent` would accept `input`, by the fast path alone (for tests and benchmarks). */
export const isValidEvent = (input: unknown): boolean => {
  if (typeof input !== "object" || input === null || !("event_type" in input)) return false
  const type = input.event_type
  const guard = typeof type === "string" ? eventGuards.get(type) : undefined
  return guard?.(input) === true
}

/** Whether `decodeEnrichedEvent` would accept `input`, by the fast path alone. */
export const isValidEnrichedEvent = (input: unknown): boolean => {
  if (typeof input !== "object" || input === null || !("event_type" in input)) return false
  const type = input.event_type
  const guard = typeof type === "string" ? enrichedGuards.get(type) : undefined
  return guard?.(input) === true
}

const fromJson =
  <A>(decode: (input: unknown) => Result.Result<A, EventRejection>) =>
  (text: string): Result.Result<A, EventRejection> => {
    const parsed = parseJson(text)
    return Result.isFailure(parsed) ? reject("invalid_json", "$", parsed.failure.message) : decode(parsed.success)
  }

/** Parses JSON text and decodes one client event; `1e400` parses to Infinity and is refused as non-finite. */
export const decodeEventJson: (text: string) => Result.Result<TrackEvent, EventRejection> = fromJson(decodeEvent)

/** Parses one `events_raw` record value and decodes it. */
export const decodeEnrichedEventJson: (text: string) => Result.Result<EnrichedEvent, EventRejection> =
  fromJson(decodeEnrichedEvent)

const encodeWith = <A extends { readonly event_type: string }, E>(
  encoders: ReadonlyMap<string, Encoder<A, E>>,
  value: A
): Result.Result<E, EventRejection> => {
  const encode = encoders.get(value.event_type)
  if (encode === undefined) {
    return reject("unknown_event_type", "$.event_type", `unknown event type ${JSON.stringify(value.event_type)}`)
  }
  return Result.mapError(encode(value), (error) => toRejection(error.issue))
}

/**
 * Encodes an event to its JSON-ready form (`JSON.stringify` the result). Events are plain JSON, so this
 * only validates (a JS caller can still build NaN or an oversized string); `decodeEvent(encodeEvent(e))` is `e`.
 */
export const encodeEvent = (event: TrackEvent): Result.Result<TrackEventJson, EventRejection> =>
  encodeWith(eventEncoders, event)

/** Encodes an enriched event for the `events_raw` topic. */
export const encodeEnrichedEvent = (event: EnrichedEvent): Result.Result<EnrichedEventJson, EventRejection> =>
  encodeWith(enrichedEncoders, event)
