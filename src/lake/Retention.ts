/**
 * Deletes date partitions older than `lakeRetentionDays` (UTC days before today) from both tables. A date
 * directory leaves the table in one rename into `lake/_trash/` (readers see all of its files or none),
 * then is deleted; a run finishes deleting what a crashed run left in the trash.
 */
import * as path from "node:path"
import { Clock, Context, Effect, Layer, Metric } from "effect"
import { Settings } from "../domain/Settings.ts"
import { ensureDir, type FileIoError, listDir, removeTree, renameDurable } from "../platform/DurableFiles.ts"
import { parseDateDir, tableRoot, trashRoot } from "./LakeLayout.ts"
import { partitionsDeleted } from "./LakeMetrics.ts"
import { lakeTables } from "./LakeTable.ts"
import { type LakeBusy, type LakeLockError, withMaintenanceLock } from "./MaintenanceLock.ts"

const DAY_MS = 86_400_000

export interface DeletedPartition {
  readonly table: string
  readonly partition: string
}

export class Retention extends Context.Service<
  Retention,
  {
    /** Deletes the date partitions older than the retention and returns them. */
    readonly run: Effect.Effect<ReadonlyArray<DeletedPartition>, FileIoError | LakeBusy | LakeLockError>
  }
>()("launchpad/lake/Retention") {
  static readonly layer = Layer.effect(
    Retention,
    Effect.gen(function* () {
      const { dataDir, lakeRetentionDays } = yield* Settings
      const trash = trashRoot(dataDir)

      const run = Effect.fn("Retention.run")(function* () {
        const nowMs = yield* Clock.currentTimeMillis
        const cutoffMs = Math.floor(nowMs / DAY_MS) * DAY_MS - lakeRetentionDays * DAY_MS
        for (const leftover of yield* listDir(trash)) yield* removeTree(path.join(trash, leftover.name))
        const deleted: Array<DeletedPartition> = []
        for (const table of lakeTables) {
          const root = tableRoot(dataDir, table)
          for (const entry of yield* listDir(root)) {
            const dayStart = parseDateDir(table, entry.name)
            if (!entry.isDirectory || dayStart === undefined || dayStart >= cutoffMs) continue
            yield* ensureDir(trash)
            const moved = path.join(trash, `${table.name}-${entry.name}-${process.pid}-${nowMs}`)
            yield* renameDurable(path.join(root, entry.name), moved)
            yield* removeTree(moved)
            deleted.push({ table: table.name, partition: entry.name })
          }
          const count = deleted.filter((d) => d.table === table.name).length
          yield* Metric.update(Metric.withAttributes(partitionsDeleted, { table: table.name }), count)
        }
        yield* Effect.logInfo(
          `lake retention: ${deleted.length} date partition(s) older than ${lakeRetentionDays} days deleted`
        )
        return deleted
      })

      return Retention.of({ run: withMaintenanceLock(dataDir, run()) })
    })
  )
}
