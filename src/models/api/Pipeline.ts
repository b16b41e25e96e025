/**
 * `GET /api/v1/pipeline`: pipeline health as JSON. Counters and gauges come from this process's metric
 * registry (the same values `/metrics` exports), so they describe only the roles this process runs:
 * `pnpm dev` and `pnpm start` run every role in one process; a warehouse started alone
 * (`launchpad serve`) answers null for ingest and stream values, with a note saying where to read them.
 * Nothing is estimated. The last model run and data-test results come from the run log.
 */
import { Schema } from "effect"
import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "effect/http-api"
import { ModelResult, ModelRun, TestResult } from "../runner/Results.ts"
import { WarehouseUnavailable } from "./WarehouseErrors.ts"

export const PIPELINE_ROLES = ["ingest", "stream", "warehouse"] as const
export type PipelineRole = (typeof PIPELINE_ROLES)[number]

const Total = Schema.NullOr(Schema.Number).annotate({
  description: "since this process started; null when this process does not run the role"
})
const PerSecond = Schema.NullOr(Schema.Number).annotate({
  description: "over the last minute of samples (one every 5 s); null until two samples or without the role"
})
const Note = Schema.NullOr(Schema.String).annotate({ description: "why values are null, when they are" })

export const DeadLetterCount = Schema.Struct({
  stage: Schema.Literals(["ingest", "stream"]).annotate({
    description: "ingest: refused at the API; stream: an events_raw record the processor could not decode"
  }),
  reason: Schema.String,
  events: Schema.Number
}).annotate({ title: "DeadLetterCount" })

export const PartitionLag = Schema.Struct({
  partition: Schema.String,
  lag: Schema.Number.annotate({ description: "records behind the partition's high watermark" })
}).annotate({ title: "PartitionLag" })

export const PipelineReport = Schema.Struct({
  as_of: Schema.String,
  roles_in_process: Schema.Array(Schema.Literals(PIPELINE_ROLES)),
  ingest: Schema.Struct({
    events_accepted_total: Total,
    events_per_second: PerSecond,
    events_rejected_total: Total,
    note: Note
  }),
  stream: Schema.Struct({
    events_processed_total: Total,
    events_per_second: PerSecond,
    consumer_lag: Schema.NullOr(Schema.Number).annotate({
      description: "events_raw records not yet processed, summed over this process's partitions"
    }),
    consumer_lag_by_partition: Schema.NullOr(Schema.Array(PartitionLag)),
    late_events_total: Total.annotate({ description: "events at or behind the watermark (kept, flagged is_late)" }),
    late_window_events_total: Total.annotate({ description: "late events whose minute had already closed" }),
    duplicates_dropped_total: Total,
    watermark_delay_seconds: Schema.NullOr(Schema.Number).annotate({ description: "now minus the watermark" }),
    note: Note
  }),
  dead_letters: Schema.Struct({
    total: Schema.NullOr(Schema.Number).annotate({
      description: "the sum of by_reason; null without ingest or stream"
    }),
    by_reason: Schema.Array(DeadLetterCount).annotate({ description: "largest first" }),
    replay: Schema.String.annotate({ description: "how to replay them" }),
    note: Note
  }),
  warehouse: Schema.Struct({
    kpi_updates_applied_total: Schema.Number,
    kpi_sink_restarts_total: Schema.Number,
    kpi_minute_lag: Schema.NullOr(Schema.Number).annotate({
      description: "kpi_minute records the warehouse has not applied yet (null before its first fetch)"
    }),
    live_clients: Schema.Number.annotate({ description: "open /api/v1/live connections" })
  }),
  models: Schema.Struct({
    last_run: Schema.NullOr(Schema.Struct({ run: ModelRun, results: Schema.Array(ModelResult) })).annotate({
      description: "the latest `models run` with its per-model timings and rows"
    }),
    last_test: Schema.NullOr(Schema.Struct({ run: ModelRun, tests: Schema.Array(TestResult) })).annotate({
      description: "the latest `models test` with every data test's result"
    })
  })
}).annotate({ title: "PipelineReport" })
export type PipelineReport = typeof PipelineReport.Type

export class PipelineApi extends HttpApiGroup.make("pipeline")
  .add(
    HttpApiEndpoint.get("pipeline", "/api/v1/pipeline", {
      success: PipelineReport,
      error: WarehouseUnavailable
    }).annotateMerge(
      OpenApi.annotations({
        summary:
          "Pipeline health: ingest rate, consumer lag, dead letters by reason, late events (this process's metrics), " +
          "the last model run and data-test results"
      })
    )
  )
  .annotateMerge(OpenApi.annotations({ title: "Pipeline" })) {}
