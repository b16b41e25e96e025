/**
 * Lake upkeep while the pipeline runs: every LAUNCHPAD_LAKE_MAINTENANCE_INTERVAL_S, retention (date
 * partitions past LAUNCHPAD_LAKE_RETENTION_DAYS) and then compaction (each closed partition's files into
 * one). The stream writes a file per hour partition per lake commit, so without compaction a day of
 * traffic leaves thousands of small files and every model read pays for each of them (on the models
 * bench's 1M-event lake, reading every column took 55 s over 2,113 files and 13 s over 715).
 *
 * Each run takes the lake's maintenance lock; a run that finds it held (a `lake compact` in another
 * process, another stream processor's run) skips its turn. A failed run is logged and counted and the
 * next tick tries again, so a bad disk day never stops the processor.
 */
import { Duration, Effect, Layer, Metric, Schedule } from "effect"
import { Settings } from "../domain/Settings.ts"
import { Compaction } from "./Compaction.ts"
import { Retention } from "./Retention.ts"

export const LakeMaintenanceMetrics = {
  runs: Metric.counter("launchpad_lake_maintenance_runs_total", {
    description: "scheduled lake maintenance runs by outcome (success, skipped: the lake was busy, failed)",
    incremental: true
  })
} as const

const outcome = (status: "success" | "skipped" | "failed") =>
  Metric.update(Metric.withAttributes(LakeMaintenanceMetrics.runs, { outcome: status }), 1)

/** One maintenance run: retention first (nothing to compact in what is about to go), then compaction. */
export const maintainLake = Effect.gen(function* () {
  const deleted = yield* (yield* Retention).run
  const report = yield* (yield* Compaction).run
  if (deleted.length > 0 || report.compacted.length > 0 || report.repaired > 0) {
    yield* Effect.logInfo(
      `lake maintenance: ${report.compacted.length} partition(s) compacted, ${deleted.length} deleted, ${report.repaired} repaired`
    )
  }
})

export const LakeMaintenance = {
  /** The schedule (none when the interval is 0); needs `Retention`, `Compaction` and `Settings`. */
  layer: Layer.effectDiscard(
    Effect.gen(function* () {
      const { lakeMaintenanceInterval } = yield* Settings
      if (Duration.isZero(lakeMaintenanceInterval)) return
      const retention = yield* Retention
      const compaction = yield* Compaction
      const tick = maintainLake.pipe(
        Effect.provideService(Retention, retention),
        Effect.provideService(Compaction, compaction),
        Effect.andThen(outcome("success")),
        Effect.catchTag("LakeBusy", () => outcome("skipped")),
        Effect.catchCause((cause) =>
          Effect.andThen(outcome("failed"), Effect.logWarning("lake maintenance failed; retrying next interval", cause))
        )
      )
      // The first run waits one interval: a starting processor has recovery work of its own.
      yield* tick.pipe(Effect.schedule(Schedule.spaced(lakeMaintenanceInterval)), Effect.forkScoped)
    })
  )
} as const
