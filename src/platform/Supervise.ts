/**
 * Supervision of a long-running loop (a consumer, a scheduler): when it fails — an error or a defect,
 * never an interruption — it is counted, logged with its cause, and started again after a backoff
 * that doubles from `initialDelay` up to 30 s, for as long as the layer lives. A failing dependency
 * (Kafka, DuckDB) therefore never takes a role down, and the restarts are visible in a metric.
 */
import { type Cause, Duration, Effect, Schedule } from "effect"

export interface SuperviseOptions {
  /** What the log lines call the loop. */
  readonly name: string
  /** First delay before a restart; doubles up to `MAX_RESTART_DELAY`. */
  readonly initialDelay?: Duration.Input
  /** Called on every restart (a metric update). */
  readonly onRestart: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
}

export const MAX_RESTART_DELAY = Duration.seconds(30)

export const supervise = <A, E, R>(
  loop: Effect.Effect<A, E, R>,
  options: SuperviseOptions
): Effect.Effect<A, never, R> =>
  loop.pipe(
    Effect.sandbox,
    Effect.tapError((cause) =>
      Effect.andThen(options.onRestart(cause), Effect.logError(`${options.name} stopped; restarting`, cause))
    ),
    Effect.retry(
      Schedule.min([
        Schedule.exponential(options.initialDelay ?? Duration.millis(500)),
        Schedule.spaced(MAX_RESTART_DELAY)
      ])
    ),
    // Unreachable: the retry never gives up.
    Effect.orDie
  )
