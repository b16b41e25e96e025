/**
 * The live KPI measures: ONE definition per measure, in `KPI_MEASURES` below. Everything else is
 * derived from that table — the stream's per-window accumulators and their merge, the `kpi_minute`
 * record's schema, the checkpoint's window schema, the warehouse's columns (and their migration when a
 * measure is added) and the KPI API's fields. Adding a measure is one entry here (plus its tests).
 *
 * Every measure is mergeable across partitions (ARCHITECTURE.md "Windows"), so the warehouse can add up the
 * partitions of M processors: counts add, keyed counts add key-wise, histograms add bucket-wise, and
 * distinct counts (and funnel progress, which counts users) add because Kafka keys events by user, so a
 * user (and each of its sessions) lives in exactly one partition.
 */
import { Effect, Schema } from "effect"
import { CONFIGURATOR_FUNNEL } from "./Funnels.ts"

/** event type → its index in the configurator funnel. */
const CONFIGURATOR_STEP_INDEX: ReadonlyMap<string, number> = new Map(
  CONFIGURATOR_FUNNEL.map((s, index) => [s.eventType, index])
)

/** What a measure reads of an event (the stream maps every enriched event to this once). */
export interface MeasuredEvent {
  readonly userId: string
  readonly eventType: string
  /** `received_at` in epoch milliseconds. */
  readonly receivedAtMs: number
  /** Set on `purchase` events: the order total in `currency`. */
  readonly revenue: number | null
  readonly currency: string | null
}

interface MeasureBase {
  /** For the API documentation and the README. */
  readonly description: string
  /** The API field name when it is not the key in snake_case. */
  readonly apiName?: string
}

/** A sum of per-event amounts. */
export interface CountMeasure extends MeasureBase {
  readonly kind: "count"
  readonly amount: (event: MeasuredEvent) => number
}

/** Sums per key; `entry` gives an event's key and amount, or null when it adds nothing. */
export interface KeyedCountMeasure extends MeasureBase {
  readonly kind: "keyed"
  readonly entry: (event: MeasuredEvent) => readonly [string, number] | null
  /** The API divides stored amounts by this (revenue is stored in integer thousandths). */
  readonly apiScale?: number
}

/** Distinct ids among the window's events (the accumulator keeps the ids). */
export interface DistinctMeasure extends MeasureBase {
  readonly kind: "distinct"
  readonly id: (event: MeasuredEvent) => string
}

/** Counted when a session's start is settled (the watermark passed it), in the minute it started. */
export interface SessionStartsMeasure extends MeasureBase {
  readonly kind: "sessionStarts"
}

/** Counts per bucket of `value` (inclusive upper `bounds`, plus one overflow bucket). */
export interface HistogramMeasure extends MeasureBase {
  readonly kind: "histogram"
  readonly bounds: ReadonlyArray<number>
  readonly value: (event: MeasuredEvent, processingTimeMs: number) => number
}

/**
 * Users by how far they got along ordered `steps` in the window: each user counts once, at the furthest
 * step any of their window's events marks, and at every step before it. So no step ever counts more
 * users than the one before, whatever order the events came in or repeated.
 */
export interface ProgressMeasure extends MeasureBase {
  readonly kind: "progress"
  readonly steps: ReadonlyArray<string>
  /** The index in `steps` the event marks, or null. */
  readonly stepOf: (event: MeasuredEvent) => number | null
}

export type Measure =
  | CountMeasure
  | KeyedCountMeasure
  | DistinctMeasure
  | SessionStartsMeasure
  | HistogramMeasure
  | ProgressMeasure

/** ISO 4217's "no currency", for a purchase without one. */
export const NO_CURRENCY = "XXX"

/** Revenue in integer thousandths of the currency unit: exact for 0-3 decimal currencies, so sums are exact and order-free. */
export const revenueToThousandths = (revenue: number | null): number =>
  revenue === null ? 0 : Math.round(revenue * 1000)

/** Upper bounds (inclusive, ms) of the ingest-to-processing latency histogram; fixed so that histograms add up. */
export const LATENCY_BUCKET_BOUNDS_MS: ReadonlyArray<number> = [
  100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000, 900_000, 3_600_000
]

const isType = (type: string) => (event: MeasuredEvent) => (event.eventType === type ? 1 : 0)

/** The measures, in the order they are stored and shown. */
export const KPI_MEASURES = {
  events: { kind: "count", description: "events in the minute", amount: () => 1 },
  eventsByType: {
    kind: "keyed",
    description: "events per event type",
    entry: (event) => [event.eventType, 1]
  },
  distinctUsers: { kind: "distinct", description: "distinct users with an event in the minute", id: (e) => e.userId },
  sessionsStarted: {
    kind: "sessionStarts",
    description:
      "sessions whose first event is in the minute; final once the minute is closed (a later event cannot precede an event the watermark passed)"
  },
  configuratorStarts: {
    kind: "count",
    description: "configurator starts (quiz_started events)",
    amount: isType("quiz_started")
  },
  configuratorCompletions: {
    kind: "count",
    description: "configurator completions (quiz_completed events)",
    amount: isType("quiz_completed")
  },
  funnelSteps: {
    kind: "progress",
    description:
      "users per configurator funnel step (Funnels.ts): a user counts at the furthest step their events of the " +
      "minute reached and at every step before it, so no step exceeds the one before",
    steps: CONFIGURATOR_FUNNEL.map((s) => s.step),
    stepOf: (event) => CONFIGURATOR_STEP_INDEX.get(event.eventType) ?? null
  },
  configuratorShares: {
    kind: "count",
    description: "configurator results shared (result_shared events)",
    amount: isType("result_shared")
  },
  purchases: { kind: "count", description: "purchase events", amount: isType("purchase") },
  revenueByCurrency: {
    kind: "keyed",
    description: "purchase revenue per ISO 4217 currency (amounts in different currencies do not add up)",
    entry: (event) =>
      event.eventType === "purchase" ? [event.currency ?? NO_CURRENCY, revenueToThousandths(event.revenue)] : null,
    apiScale: 1000
  },
  latencyBuckets: {
    kind: "histogram",
    description: "ingest-to-processing latency (processing time minus received_at) of the minute's events",
    apiName: "latency",
    bounds: LATENCY_BUCKET_BOUNDS_MS,
    value: (event, processingTimeMs) => processingTimeMs - event.receivedAtMs
  }
} as const satisfies Record<string, Measure>

export type KpiMeasureName = keyof typeof KPI_MEASURES

export const KPI_MEASURE_NAMES = Object.keys(KPI_MEASURES) as ReadonlyArray<KpiMeasureName>

type ValueOf<M extends Measure> = M extends KeyedCountMeasure | ProgressMeasure
  ? Readonly<Record<string, number>>
  : M extends HistogramMeasure
    ? ReadonlyArray<number>
    : number

/** A window's measures as they travel (kpi_minute records) and are stored (warehouse columns). */
export type WindowMeasures = { readonly [K in KpiMeasureName]: ValueOf<(typeof KPI_MEASURES)[K]> }

type AccumulatorOf<M extends Measure> = M extends KeyedCountMeasure | ProgressMeasure
  ? Map<string, number>
  : M extends DistinctMeasure
    ? Set<string>
    : M extends HistogramMeasure
      ? Array<number>
      : number

/** An open window's mutable state, one entry per measure (distinct measures keep their ids). */
export type MeasureAccumulators = { -readonly [K in KpiMeasureName]: AccumulatorOf<(typeof KPI_MEASURES)[K]> }

// The table as plain lists per kind, so the per-event loop (the stream's hot path) runs no dispatch.
const entries = Object.entries(KPI_MEASURES) as ReadonlyArray<readonly [KpiMeasureName, Measure]>
const ofKind = <K extends Measure["kind"]>(kind: K) =>
  entries.filter((entry): entry is readonly [KpiMeasureName, Extract<Measure, { kind: K }>] => entry[1].kind === kind)
const counts = ofKind("count")
const keyed = ofKind("keyed")
const distincts = ofKind("distinct")
const sessionStarts = ofKind("sessionStarts")
const histograms = ofKind("histogram")
const progresses = ofKind("progress")

/** The state of a window that has seen nothing. */
export const emptyAccumulators = (): MeasureAccumulators => {
  const acc: Record<string, number | Map<string, number> | Set<string> | Array<number>> = {}
  for (const [name, measure] of entries) {
    switch (measure.kind) {
      case "count":
      case "sessionStarts":
        acc[name] = 0
        break
      case "keyed":
      case "progress":
        acc[name] = new Map()
        break
      case "distinct":
        acc[name] = new Set()
        break
      case "histogram":
        acc[name] = new Array<number>(measure.bounds.length + 1).fill(0)
        break
    }
  }
  return acc as MeasureAccumulators
}

/** The bucket of `value` among `bounds` (inclusive upper bounds); `bounds.length` is the overflow bucket. */
export const bucketIndex = (bounds: ReadonlyArray<number>, value: number): number => {
  for (let i = 0; i < bounds.length; i++) {
    if (value <= (bounds[i] ?? 0)) return i
  }
  return bounds.length
}

type Mutable = Record<string, number | Map<string, number> | Set<string> | Array<number>>

/** Adds one accepted event to a window's accumulators. */
export const accumulate = (acc: MeasureAccumulators, event: MeasuredEvent, processingTimeMs: number): void => {
  const values = acc as unknown as Mutable
  for (let i = 0; i < counts.length; i++) {
    const [name, measure] = counts[i] as (typeof counts)[number]
    ;(values[name] as number) += measure.amount(event)
  }
  for (let i = 0; i < keyed.length; i++) {
    const [name, measure] = keyed[i] as (typeof keyed)[number]
    const entry = measure.entry(event)
    if (entry === null) continue
    const map = values[name] as Map<string, number>
    map.set(entry[0], (map.get(entry[0]) ?? 0) + entry[1])
  }
  for (let i = 0; i < distincts.length; i++) {
    const [name, measure] = distincts[i] as (typeof distincts)[number]
    ;(values[name] as Set<string>).add(measure.id(event))
  }
  for (let i = 0; i < progresses.length; i++) {
    const [name, measure] = progresses[i] as (typeof progresses)[number]
    const step = measure.stepOf(event)
    if (step === null) continue
    const furthest = values[name] as Map<string, number>
    if ((furthest.get(event.userId) ?? -1) < step) furthest.set(event.userId, step)
  }
  for (let i = 0; i < histograms.length; i++) {
    const [name, measure] = histograms[i] as (typeof histograms)[number]
    const buckets = values[name] as Array<number>
    const bucket = bucketIndex(measure.bounds, measure.value(event, processingTimeMs))
    buckets[bucket] = (buckets[bucket] ?? 0) + 1
  }
}

/** Counts a settled session start in its window. */
export const accumulateSessionStart = (acc: MeasureAccumulators): void => {
  const values = acc as unknown as Mutable
  for (const [name] of sessionStarts) (values[name] as number) += 1
}

/**
 * Keys sorted, so that emitted records (and checkpoints) do not depend on arrival order; built with
 * `Object.fromEntries`, which defines own properties (a key such as "__proto__" stays data).
 */
export const sortedRecord = (map: ReadonlyMap<string, number>): Record<string, number> =>
  Object.fromEntries([...map].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** A window's measures from its accumulators. */
export const measuresOf = (acc: MeasureAccumulators): WindowMeasures => {
  const values = acc as unknown as Mutable
  const out: Record<string, number | Record<string, number> | ReadonlyArray<number>> = {}
  for (const [name, measure] of entries) {
    const value = values[name]
    switch (measure.kind) {
      case "count":
      case "sessionStarts":
        out[name] = value as number
        break
      case "keyed":
        out[name] = sortedRecord(value as Map<string, number>)
        break
      case "distinct":
        out[name] = (value as Set<string>).size
        break
      case "progress":
        out[name] = progressCounts(measure, value as Map<string, number>)
        break
      case "histogram":
        out[name] = [...(value as Array<number>)]
        break
    }
  }
  return out as WindowMeasures
}

/** Users at or beyond each step, from each user's furthest step; steps nobody reached are left out. */
const progressCounts = (measure: ProgressMeasure, furthest: ReadonlyMap<string, number>): Record<string, number> => {
  const atOrBeyond = new Array<number>(measure.steps.length).fill(0)
  for (const step of furthest.values()) {
    for (let i = 0; i <= step; i++) atOrBeyond[i] = (atOrBeyond[i] ?? 0) + 1
  }
  return sortedRecord(
    new Map(measure.steps.map((step, i) => [step, atOrBeyond[i] ?? 0] as const).filter(([, n]) => n > 0))
  )
}

const addRecords = (a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>) => {
  const sum = new Map(Object.entries(a))
  for (const [key, n] of Object.entries(b)) sum.set(key, (sum.get(key) ?? 0) + n)
  return sortedRecord(sum)
}

/** Combines the measures of one minute from different partitions (the warehouse's merge). */
export const mergeMeasures = (a: WindowMeasures, b: WindowMeasures): WindowMeasures => {
  const out: Record<string, number | Record<string, number> | ReadonlyArray<number>> = {}
  for (const [name, measure] of entries) {
    switch (measure.kind) {
      case "count":
      case "sessionStarts":
      case "distinct":
        out[name] = (a[name] as number) + (b[name] as number)
        break
      case "keyed":
      case "progress":
        out[name] = addRecords(a[name] as Record<string, number>, b[name] as Record<string, number>)
        break
      case "histogram": {
        const right = b[name] as ReadonlyArray<number>
        out[name] = (a[name] as ReadonlyArray<number>).map((n, i) => n + (right[i] ?? 0))
        break
      }
    }
  }
  return out as WindowMeasures
}

/** The measures of a window that has seen nothing. */
export const emptyMeasures = (): WindowMeasures => measuresOf(emptyAccumulators())

// ---------------------------------------------------------------------------------------------
// Schemas derived from the table

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Counts = Schema.Record(Schema.String, Count)
const histogramOf = (bounds: ReadonlyArray<number>) =>
  Schema.Array(Count).check(Schema.isBetweenLength(bounds.length + 1, bounds.length + 1))

/**
 * A measure absent from a record or checkpoint written before the measure existed reads as empty
 * (zero, no keys, empty buckets): adding a measure needs no format version.
 */
const defaulted = <S extends Schema.Top>(schema: S, empty: () => S["Encoded"]) =>
  schema.pipe(Schema.withDecodingDefaultKey(Effect.sync(empty)))

const recordField = (name: KpiMeasureName, measure: Measure) => {
  switch (measure.kind) {
    case "count":
    case "sessionStarts":
    case "distinct":
      return defaulted(Count, () => 0)
    case "keyed":
    case "progress":
      return defaulted(Counts, () => ({}))
    case "histogram":
      return defaulted(histogramOf(measure.bounds), () => emptyMeasures()[name] as ReadonlyArray<number>)
  }
}

/** A window's measures in a `kpi_minute` record (keys as in `KPI_MEASURES`). */
export const WindowMeasuresSchema = Schema.Struct(
  Object.fromEntries(entries.map(([name, measure]) => [name, recordField(name, measure)]))
) as unknown as Schema.Codec<WindowMeasures, Partial<WindowMeasures>>

/**
 * The checkpoint's form of an open window's accumulators: distinct measures keep their ids, progress
 * measures each user's furthest step (user id → step index).
 */
export type AccumulatorsJson = {
  readonly [K in KpiMeasureName]: (typeof KPI_MEASURES)[K] extends DistinctMeasure
    ? ReadonlyArray<string>
    : ValueOf<(typeof KPI_MEASURES)[K]>
}

export const AccumulatorsJsonSchema = Schema.Struct(
  Object.fromEntries(
    entries.map(([name, measure]) => [
      name,
      measure.kind === "distinct" ? defaulted(Schema.Array(Schema.String), () => []) : recordField(name, measure)
    ])
  )
) as unknown as Schema.Codec<AccumulatorsJson, Partial<AccumulatorsJson>>

export const encodeAccumulators = (acc: MeasureAccumulators): AccumulatorsJson => {
  const values = acc as unknown as Mutable
  const measures = measuresOf(acc) as unknown as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [name, measure] of entries) {
    out[name] =
      measure.kind === "distinct"
        ? [...(values[name] as Set<string>)]
        : measure.kind === "progress"
          ? sortedRecord(values[name] as Map<string, number>)
          : measures[name]
  }
  return out as AccumulatorsJson
}

export const decodeAccumulators = (json: AccumulatorsJson): MeasureAccumulators => {
  const values = json as unknown as Record<string, unknown>
  const out: Mutable = {}
  for (const [name, measure] of entries) {
    const value = values[name]
    switch (measure.kind) {
      case "count":
      case "sessionStarts":
        out[name] = value as number
        break
      case "keyed":
      case "progress":
        out[name] = new Map(Object.entries(value as Record<string, number>))
        break
      case "distinct":
        out[name] = new Set(value as ReadonlyArray<string>)
        break
      case "histogram":
        out[name] = [...(value as ReadonlyArray<number>)]
        break
    }
  }
  return out as MeasureAccumulators
}

// ---------------------------------------------------------------------------------------------
// Storage and API names

/** A measure's column in the warehouse: its key in snake_case. */
export const measureColumn = (name: KpiMeasureName): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)

/** A measure's field in the API: `apiName`, else its column name. */
export const measureApiField = (name: KpiMeasureName): string => {
  const measure: Measure = KPI_MEASURES[name]
  return measure.apiName ?? measureColumn(name)
}

/** The DuckDB type a measure is stored as. */
export const measureDuckDbType = (measure: Measure): string => {
  switch (measure.kind) {
    case "count":
    case "sessionStarts":
    case "distinct":
      return "BIGINT"
    case "keyed":
    case "progress":
      return "MAP(VARCHAR, BIGINT)"
    case "histogram":
      return "BIGINT[]"
  }
}

/** Every measure with its name and definition, in table order. */
export const measureEntries = (): ReadonlyArray<readonly [KpiMeasureName, Measure]> => entries
