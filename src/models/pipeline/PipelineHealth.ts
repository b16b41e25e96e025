/**
 * Pipeline health for `GET /api/v1/pipeline`, read from this process's metric registry (the values
 * `/metrics` exports) and the model run log. A role that does not run in this process has no values
 * here: its fields are null with a note naming the role whose `/metrics` has them, never estimated.
 *
 * Rates: a background fiber samples the event counters every 5 s and keeps the last minute of
 * samples; a rate is (newest − oldest) / elapsed over those samples.
 */
import { Clock, Context, Effect, Layer, Metric, Schedule } from "effect"
import { IngestMetrics } from "../../ingest/server/IngestMetrics.ts"
import { ConsumerMetrics } from "../../kafka/EventConsumer.ts"
import { TopicNames } from "../../kafka/Topics.ts"
import { StreamMetrics } from "../../stream/StreamMetrics.ts"
import { PIPELINE_ROLES, type PipelineReport, type PipelineRole } from "../api/Pipeline.ts"
import { WAREHOUSE_GROUP_ID } from "../live/KpiMinuteSink.ts"
import { WarehouseMetrics } from "../live/WarehouseMetrics.ts"
import { ModelDocs, type ModelDocsError } from "../runner/ModelDocs.ts"

/** Which roles run in this process besides the warehouse (which serves this endpoint). */
export interface ColocatedRoles {
  readonly ingest: boolean
  readonly stream: boolean
}

export const SAMPLE_INTERVAL_MS = 5_000
/** Samples kept: one minute's worth, plus the one it starts from. */
const SAMPLES = 60_000 / SAMPLE_INTERVAL_MS + 1
/** Run log entries looked through for the latest run and the latest test run. */
const RUN_LOOKBACK = 50

export const DLQ_REPLAY_TEXT =
  "dead letters stay in events_deadletter with their reason and raw input; once the cause is fixed " +
  "(a client bug, a schema change), pnpm launchpad dlq replay [--reason R] [--since T] re-validates them " +
  "and moves those that now pass to events_raw, each at most once"

type Snapshot = ReadonlyArray<Metric.Metric.Snapshot>

const sameId = (metric: { readonly id: string }) => (snapshot: Metric.Metric.Snapshot) => snapshot.id === metric.id

const numberOf = (snapshot: Metric.Metric.Snapshot): number => {
  switch (snapshot.type) {
    case "Counter":
      return Number(snapshot.state.count)
    case "Gauge":
      return Number(snapshot.state.value)
    default:
      return 0
  }
}

/** A counter's total over every attribute set (0 when it was never updated). */
const total = (snapshot: Snapshot, metric: { readonly id: string }): number =>
  snapshot.filter(sameId(metric)).reduce((sum, s) => sum + numberOf(s), 0)

/** A metric's values keyed by one attribute, for the series whose attributes match `where`. */
const byAttribute = (
  snapshot: Snapshot,
  metric: { readonly id: string },
  attribute: string,
  where: Readonly<Record<string, string>> = {}
): ReadonlyArray<readonly [string, number]> => {
  const sums = new Map<string, number>()
  for (const s of snapshot.filter(sameId(metric))) {
    const attributes = s.attributes ?? {}
    const key = attributes[attribute]
    if (key === undefined) continue
    if (!Object.entries(where).every(([name, value]) => attributes[name] === value)) continue
    sums.set(key, (sums.get(key) ?? 0) + numberOf(s))
  }
  return [...sums]
}

interface Sample {
  readonly atMs: number
  readonly accepted: number
  readonly processed: number
}

/** Per second between the oldest and the newest sample; null with fewer than two. */
export const rateOf = (samples: ReadonlyArray<Sample>, read: (sample: Sample) => number): number | null => {
  const first = samples[0]
  const last = samples[samples.length - 1]
  if (first === undefined || last === undefined || last.atMs <= first.atMs) return null
  return (read(last) - read(first)) / ((last.atMs - first.atMs) / 1000)
}

const missing = (role: PipelineRole) =>
  `this process does not run the ${role} role (a split deployment): read ${role}'s own /metrics`

export interface PipelineHealthShape {
  readonly report: Effect.Effect<PipelineReport, ModelDocsError>
}

export class PipelineHealth extends Context.Service<PipelineHealth, PipelineHealthShape>()(
  "launchpad/models/PipelineHealth"
) {
  /** With the roles that share this process; samples the counters in the background. */
  static readonly layer = (colocated: ColocatedRoles) =>
    Layer.effect(
      PipelineHealth,
      Effect.gen(function* () {
        const docs = yield* ModelDocs
        const samples: Array<Sample> = []
        const sample = Effect.gen(function* () {
          const snapshot = yield* Metric.snapshot
          samples.push({
            atMs: yield* Clock.currentTimeMillis,
            accepted: total(snapshot, IngestMetrics.eventsAccepted),
            processed: total(snapshot, StreamMetrics.events)
          })
          if (samples.length > SAMPLES) samples.splice(0, samples.length - SAMPLES)
        })
        yield* sample.pipe(Effect.repeat(Schedule.spaced(SAMPLE_INTERVAL_MS)), Effect.forkScoped)

        const roles: ReadonlyArray<PipelineRole> = [
          ...(colocated.ingest ? (["ingest"] as const) : []),
          ...(colocated.stream ? (["stream"] as const) : []),
          "warehouse"
        ]

        const lastRuns = Effect.gen(function* () {
          const runs = yield* docs.runs(RUN_LOOKBACK)
          const run = runs.find((r) => r.command === "run" && r.status !== "running")
          const test = runs.find((r) => r.command === "test" && r.status !== "running")
          const results = run === undefined ? undefined : yield* docs.runResults(run.runId)
          const tests = test === undefined ? [] : yield* docs.testResults(test.runId)
          return {
            last_run: results ?? null,
            last_test: test === undefined ? null : { run: test, tests }
          }
        })

        const report = Effect.gen(function* () {
          const snapshot = yield* Metric.snapshot
          const nowMs = yield* Clock.currentTimeMillis
          const lags = byAttribute(snapshot, StreamMetrics.consumerLag, "partition", { topic: TopicNames.eventsRaw })
          const watermarkDelay = snapshot.find(sameId(StreamMetrics.watermarkDelay))
          const kpiLags = byAttribute(snapshot, ConsumerMetrics.consumerLag, "partition", {
            group: WAREHOUSE_GROUP_ID,
            topic: TopicNames.kpiMinute
          })
          const deadLetters = [
            ...(colocated.ingest
              ? byAttribute(snapshot, IngestMetrics.eventsRejected, "reason").map(
                  ([reason, events]) => ({ stage: "ingest", reason, events }) as const
                )
              : []),
            ...(colocated.stream
              ? byAttribute(snapshot, StreamMetrics.deadLettered, "reason").map(
                  ([reason, events]) => ({ stage: "stream", reason, events }) as const
                )
              : [])
          ].sort((a, b) => b.events - a.events || a.reason.localeCompare(b.reason))
          const absent = roles.length === 3 ? [] : PIPELINE_ROLES.filter((role) => !roles.includes(role))
          return {
            as_of: new Date(nowMs).toISOString(),
            roles_in_process: roles,
            ingest: colocated.ingest
              ? {
                  events_accepted_total: total(snapshot, IngestMetrics.eventsAccepted),
                  events_per_second: rateOf(samples, (s) => s.accepted),
                  events_rejected_total: total(snapshot, IngestMetrics.eventsRejected),
                  note: null
                }
              : {
                  events_accepted_total: null,
                  events_per_second: null,
                  events_rejected_total: null,
                  note: missing("ingest")
                },
            stream: colocated.stream
              ? {
                  events_processed_total: total(snapshot, StreamMetrics.events),
                  events_per_second: rateOf(samples, (s) => s.processed),
                  consumer_lag: lags.length === 0 ? null : lags.reduce((sum, [, lag]) => sum + lag, 0),
                  consumer_lag_by_partition:
                    lags.length === 0
                      ? null
                      : [...lags]
                          .sort(([a], [b]) => Number(a) - Number(b))
                          .map(([partition, lag]) => ({ partition, lag })),
                  late_events_total: total(snapshot, StreamMetrics.lateEvents),
                  late_window_events_total: total(snapshot, StreamMetrics.lateWindowEvents),
                  duplicates_dropped_total: total(snapshot, StreamMetrics.duplicates),
                  watermark_delay_seconds: watermarkDelay === undefined ? null : numberOf(watermarkDelay),
                  note: lags.length === 0 ? "the processor has not finished a micro-batch yet" : null
                }
              : {
                  events_processed_total: null,
                  events_per_second: null,
                  consumer_lag: null,
                  consumer_lag_by_partition: null,
                  late_events_total: null,
                  late_window_events_total: null,
                  duplicates_dropped_total: null,
                  watermark_delay_seconds: null,
                  note: missing("stream")
                },
            dead_letters: {
              total: absent.length === 2 ? null : deadLetters.reduce((sum, d) => sum + d.events, 0),
              by_reason: deadLetters,
              replay: DLQ_REPLAY_TEXT,
              note:
                absent.length === 0
                  ? null
                  : `${absent.join(" and ")} dead letters are not counted here: ${absent.map(missing).join("; ")}`
            },
            warehouse: {
              kpi_updates_applied_total: total(snapshot, WarehouseMetrics.updatesApplied),
              kpi_sink_restarts_total: total(snapshot, WarehouseMetrics.sinkRestarts),
              kpi_minute_lag: kpiLags.length === 0 ? null : kpiLags.reduce((sum, [, lag]) => sum + lag, 0),
              live_clients: total(snapshot, WarehouseMetrics.sseClients)
            },
            models: yield* lastRuns
          } satisfies PipelineReport
        })

        return PipelineHealth.of({ report })
      })
    )
}
