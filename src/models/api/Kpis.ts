/**
 * The live KPI endpoints: the latest minute, a range of minutes and the configurator funnel, all read
 * from the warehouse's `kpi_minute` view (partitions summed). Names are snake_case like the rest of
 * the public API.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import {
  type HistogramMeasure,
  type KeyedCountMeasure,
  type KPI_MEASURES,
  type KpiMeasureName,
  type Measure,
  measureApiField,
  measureEntries,
  type ProgressMeasure
} from "../../domain/KpiMeasures.ts"
import { DecimalInt } from "../../domain/QueryParams.ts"
import type { Snake } from "../../domain/SnakeCase.ts"
import { WarehouseUnavailable } from "./WarehouseErrors.ts"

export const MAX_MINUTES_BACK = 10_080
export const DEFAULT_MINUTES_BACK = 60

const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Counts = Schema.Record(Schema.String, Count)
const Rate = Schema.NullOr(Schema.Number).annotate({ description: "0 … 1; null when the denominator is 0" })

/** A histogram measure in the API: its buckets and the percentiles read off them. */
export const HistogramView = Schema.Struct({
  bounds_ms: Schema.Array(Schema.Int).annotate({
    description: "inclusive upper bounds of the buckets; `counts` has one more entry for everything above"
  }),
  counts: Schema.Array(Count),
  p50_ms: Schema.NullOr(Schema.Int),
  p95_ms: Schema.NullOr(Schema.Int),
  p99_ms: Schema.NullOr(Schema.Int)
}).annotate({
  title: "Histogram",
  description:
    "a percentile is the upper bound of the bucket it falls in (null when there are no values or it falls in the overflow bucket)"
})
export type HistogramView = typeof HistogramView.Type

type ApiName<K extends KpiMeasureName> = (typeof KPI_MEASURES)[K] extends { readonly apiName: infer N extends string }
  ? N
  : Snake<K>
type ApiValue<M> = M extends KeyedCountMeasure | ProgressMeasure
  ? Readonly<Record<string, number>>
  : M extends HistogramMeasure
    ? HistogramView
    : number

/** The measures of a minute as the API shows them: derived from `KPI_MEASURES` (domain/KpiMeasures.ts). */
export type KpiMinuteMeasures = {
  readonly [K in KpiMeasureName as ApiName<K>]: ApiValue<(typeof KPI_MEASURES)[K]>
}

const measureField = (measure: Measure) => {
  switch (measure.kind) {
    case "count":
    case "sessionStarts":
    case "distinct":
      return Count.annotate({ description: measure.description })
    case "keyed":
      return (
        measure.apiScale === undefined ? Counts : Schema.Record(Schema.String, Schema.Number.check(Schema.isFinite()))
      ).annotate({ description: measure.description })
    case "progress":
      return Counts.annotate({ description: measure.description })
    case "histogram":
      return HistogramView.annotate({ description: measure.description })
  }
}

export interface KpiMinute extends KpiMinuteMeasures {
  readonly minute: string
  readonly closed: boolean
  readonly partitions_total: number
  readonly partitions_reporting: number
  readonly updated_at: string
}

export const KpiMinute = Schema.Struct({
  minute: Schema.String.annotate({
    description: "start of the minute (ISO 8601, UTC); the window is [minute, minute + 1 min)"
  }),
  closed: Schema.Boolean.annotate({
    description: "every events_raw partition has closed the minute (the watermark passed its end): the values are final"
  }),
  partitions_total: Count,
  partitions_reporting: Count.annotate({ description: "partitions that had events in this minute" }),
  ...Object.fromEntries(measureEntries().map(([name, measure]) => [measureApiField(name), measureField(measure)])),
  updated_at: Schema.String.annotate({ description: "when the warehouse applied the minute's last update" })
}).annotate({ title: "KpiMinute" }) as unknown as Schema.Codec<KpiMinute>

export const Freshness = Schema.Struct({
  as_of: Schema.String.annotate({ description: "server time of this answer" }),
  last_update_at: Schema.NullOr(Schema.String).annotate({ description: "when the warehouse last applied an update" }),
  seconds_since_update: Schema.NullOr(Schema.Number),
  latest_closed_minute: Schema.NullOr(Schema.String).annotate({
    description: "the newest minute whose values are final"
  })
}).annotate({ title: "Freshness" })

export const KpisLatest = Schema.Struct({
  kpis: Schema.NullOr(KpiMinute).annotate({
    description: "the newest minute with events; null before the first update"
  }),
  freshness: Freshness
}).annotate({ title: "KpisLatest" })
export type KpisLatest = typeof KpisLatest.Type

export const KpisRange = Schema.Struct({
  from: Schema.String.annotate({ description: "first minute of the range (inclusive)" }),
  to: Schema.String.annotate({ description: "last minute of the range (inclusive): the current minute" }),
  minutes: Schema.Array(KpiMinute).annotate({
    description: "oldest first; minutes without events have no row (they are not zero-filled)"
  })
}).annotate({ title: "KpisRange" })
export type KpisRange = typeof KpisRange.Type

export const FunnelStep = Schema.Struct({
  step: Schema.String,
  count: Count,
  rate_from_start: Rate,
  rate_from_previous: Rate
}).annotate({ title: "FunnelStep" })

export const Funnel = Schema.Struct({
  from: Schema.String,
  to: Schema.String,
  starts: Count.annotate({ description: "users at the started stage or beyond (the first stage's count)" }),
  steps: Schema.Array(FunnelStep).annotate({
    description:
      "funnel stages in funnel order (started, step_viewed, completed, result_viewed, purchased): users per minute " +
      "at that stage or beyond, summed over the minutes, so no stage exceeds the one before it"
  }),
  completions: Count.annotate({ description: "users at the completed stage or beyond" }),
  conversion_rate: Rate.annotate({ description: "completions / starts" })
}).annotate({ title: "Funnel" })
export type Funnel = typeof Funnel.Type

/** `minutes_back`: how many minutes up to and including the current one. */
export const MinutesBack = DecimalInt("minutes_back", 1, MAX_MINUTES_BACK).annotate({
  description: `minutes up to and including the current one, 1 … ${MAX_MINUTES_BACK} (7 days), decimal digits`
})

const minutesBackQuery = { minutes_back: Schema.optional(MinutesBack) }

export class KpisApi extends HttpApiGroup.make("kpis")
  .add(
    HttpApiEndpoint.get("latest", "/api/v1/kpis/latest", {
      success: KpisLatest,
      error: WarehouseUnavailable
    }).annotateMerge(
      OpenApi.annotations({ summary: "The newest minute's KPIs (all partitions summed) and how fresh they are" })
    ),
    HttpApiEndpoint.get("range", "/api/v1/kpis", {
      query: minutesBackQuery,
      success: KpisRange,
      error: WarehouseUnavailable
    }).annotateMerge(
      OpenApi.annotations({
        summary: `KPIs per minute for the last minutes_back minutes (default ${DEFAULT_MINUTES_BACK}), oldest first`
      })
    ),
    HttpApiEndpoint.get("funnel", "/api/v1/funnel", {
      query: minutesBackQuery,
      success: Funnel,
      error: WarehouseUnavailable
    }).annotateMerge(
      OpenApi.annotations({
        summary: `Configurator funnel over the last minutes_back minutes (default ${DEFAULT_MINUTES_BACK}): starts → steps → completions`
      })
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "KPIs" })) {}
