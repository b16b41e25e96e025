/**
 * The scheduled model run of the warehouse role (`dev`, `start`, `serve`): an incremental run of
 * every model at start and then every LAUNCHPAD_MODELS_INTERVAL_S (0: no schedule, runs only on demand). Runs never overlap — the runner
 * refuses a second one — so a tick that finds a run in progress (one asked for through the API) skips
 * its turn; a run that fails is logged and counted, and the next tick tries again.
 */
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { ModelRunner } from "./ModelRunner.ts"

export const ModelScheduleMetrics = {
  runs: Metric.counter("launchpad_models_scheduled_runs_total", {
    description:
      "scheduled model runs by outcome (success, error: a model failed, skipped: a run was in progress, failed)",
    incremental: true
  })
} as const

const outcome = (status: string) => Metric.withAttributes(ModelScheduleMetrics.runs, { outcome: status })

export const ModelSchedule = {
  layer: Layer.effectDiscard(
    Effect.gen(function* () {
      const settings = yield* Settings
      if (Duration.isZero(settings.modelsInterval)) return
      const runner = yield* ModelRunner
      const tick = runner.run().pipe(
        Effect.flatMap((report) =>
          Effect.andThen(
            Metric.update(outcome(report.run.status === "success" ? "success" : "error"), 1),
            report.run.status === "success"
              ? Effect.logDebug("scheduled model run done")
              : Effect.logWarning(`scheduled model run: ${report.run.failed} failed, ${report.run.skipped} skipped`)
          )
        ),
        Effect.catchTags({
          ModelRunBusy: () => Metric.update(outcome("skipped"), 1),
          ModelSelectionError: (error) => Effect.die(error)
        }),
        Effect.catchCause((cause) =>
          Effect.andThen(Metric.update(outcome("failed"), 1), Effect.logWarning("scheduled model run failed", cause))
        )
      )
      yield* tick.pipe(Effect.repeat(Schedule.spaced(settings.modelsInterval)), Effect.forkScoped)
    })
  )
} as const
