/**
 * Demo traffic for `pnpm dev` and `pnpm launchpad sim`: users arrive at a steady rate, walk through
 * `Journeys`, and their events are POSTed to the ingest API in real time, exactly as the SDK would
 * (batched, with `sent_at`, retried with the same event ids after a 503 or a refused connection).
 */
import { Clock, Context, Duration, Effect, Layer, Metric, Schedule, Schema } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpClientResponse } from "effect/http"
import type { EventOf, EventType } from "../domain/SdkTypes.ts"
import { formatTimestamp } from "../domain/Timestamp.ts"
import { journey, makeRandom, type TimedEvent } from "./Journeys.ts"

export interface SimulatorOptions {
  /** Base URL of the ingest API, e.g. http://127.0.0.1:8000 */
  readonly baseUrl: string
  readonly usersPerMinute: number
  readonly seed: number
  /** Stop starting new journeys after this long (unset: run until interrupted). */
  readonly duration?: Duration.Duration
}

const TICK = Duration.millis(500)
const MAX_BATCH = 500
/** Events waiting to be (re)sent; beyond this the oldest are dropped and counted, never buffered unbounded. */
const MAX_BACKLOG = 50_000

/** The part of ingest's answer the simulator reads; decoded, since it comes over the network. */
const BatchAnswer = Schema.Struct({ accepted: Schema.Number, rejected: Schema.Number })

const sentTotal = Metric.counter("launchpad_sim_events_sent_total", { description: "events accepted by ingest" })
const rejectedTotal = Metric.counter("launchpad_sim_events_rejected_total", {
  description: "events ingest answered as rejected (a simulator bug if ever non-zero)"
})
const droppedTotal = Metric.counter("launchpad_sim_events_dropped_total", {
  description: "events dropped because ingest stayed unavailable and the backlog was full"
})

export interface SimulatorShape {
  readonly stats: Effect.Effect<{ readonly users: number; readonly sent: number; readonly rejected: number }>
}

export class Simulator extends Context.Service<Simulator, SimulatorShape>()("launchpad/sim/Simulator") {
  static readonly layer = (options: SimulatorOptions) =>
    Layer.effect(
      Simulator,
      Effect.gen(function* () {
        const client = (yield* HttpClient.HttpClient).pipe(HttpClient.filterStatusOk)
        const random = makeRandom(options.seed)
        const startedAt = yield* Clock.currentTimeMillis
        const pending: Array<TimedEvent> = []
        let retry: Array<EventOf<EventType>> = []
        let users = 0
        let sent = 0
        let rejected = 0
        let arrivals = 0

        const startJourneys = (nowMs: number) => {
          if (options.duration !== undefined && nowMs - startedAt > Duration.toMillis(options.duration)) return
          arrivals += (options.usersPerMinute * Duration.toMillis(TICK)) / 60_000
          while (arrivals >= 1) {
            arrivals -= 1
            users += 1
            pending.push(...journey(random, users, nowMs))
          }
          pending.sort((a, b) => a.atMs - b.atMs)
        }

        const takeDue = (nowMs: number): Array<EventOf<EventType>> => {
          let due = 0
          while (due < pending.length && (pending[due]?.atMs ?? Number.POSITIVE_INFINITY) <= nowMs) due += 1
          return pending.splice(0, due).map((timed) => timed.event)
        }

        const post = (events: ReadonlyArray<EventOf<EventType>>, nowMs: number) => {
          const sentAt = formatTimestamp(nowMs)
          return HttpClientRequest.post(`${options.baseUrl}/api/v1/events/batch`).pipe(
            HttpClientRequest.bodyJsonUnsafe({ events: events.map((event) => ({ ...event, sent_at: sentAt })) }),
            client.execute,
            Effect.flatMap(HttpClientResponse.schemaBodyJson(BatchAnswer))
          )
        }

        const tick = Effect.gen(function* () {
          const nowMs = yield* Clock.currentTimeMillis
          startJourneys(nowMs)
          const batch = [...retry, ...takeDue(nowMs)]
          retry = []
          for (let i = 0; i < batch.length; i += MAX_BATCH) {
            const chunk = batch.slice(i, i + MAX_BATCH)
            const result = yield* post(chunk, nowMs).pipe(Effect.option)
            if (result._tag === "Some") {
              sent += result.value.accepted
              rejected += result.value.rejected
              yield* Metric.update(sentTotal, result.value.accepted)
              yield* Metric.update(rejectedTotal, result.value.rejected)
            } else {
              // Ingest unavailable: keep the rest for the next tick with the same event ids.
              retry = batch.slice(i)
              break
            }
          }
          if (retry.length > MAX_BACKLOG) {
            const overflow = retry.length - MAX_BACKLOG
            retry = retry.slice(overflow)
            yield* Metric.update(droppedTotal, overflow)
          }
        })

        const report = Effect.suspend(() =>
          Effect.logInfo("demo traffic").pipe(Effect.annotateLogs({ users, eventsSent: sent, rejected }))
        )

        yield* tick.pipe(Effect.repeat(Schedule.spaced(TICK)), Effect.forkScoped)
        yield* report.pipe(Effect.delay("30 seconds"), Effect.forever, Effect.forkScoped)

        return Simulator.of({ stats: Effect.sync(() => ({ users, sent, rejected })) })
      })
    ).pipe(Layer.provide(FetchHttpClient.layer))
}
