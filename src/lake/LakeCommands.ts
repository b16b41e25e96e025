/** `pnpm launchpad lake compact|stats`: the handlers, with the lake's layers provided. */
import { Console, Effect, Layer } from "effect"
import { Settings } from "../domain/Settings.ts"
import { Compaction } from "./Compaction.ts"
import { LakeLayer } from "./Lake.ts"
import { LakeStats } from "./LakeStats.ts"
import { Retention } from "./Retention.ts"

const layer = LakeLayer.pipe(Layer.provide(Settings.layer))

const mb = (bytes: number): string => (bytes / 1_048_576).toFixed(2)

const iso = (ms: number | null): string => (ms === null ? "-" : new Date(ms).toISOString())

/** Retention first (no point compacting what is about to be deleted), then repair and compaction. */
export const compact = Effect.gen(function* () {
  const deleted = yield* (yield* Retention).run
  const report = yield* (yield* Compaction).run
  for (const d of deleted) yield* Console.log(`deleted  ${d.table}/${d.partition}`)
  for (const c of report.compacted) {
    yield* Console.log(
      `compacted ${c.table}/${c.partition}: ${c.inputs} files -> ${c.output} (${c.rows} rows, ${mb(c.bytes)} MB)`
    )
  }
  yield* Console.log(
    `${report.compacted.length} partition(s) compacted, ${deleted.length} date partition(s) deleted, ` +
      `${report.repaired} crashed compaction(s) repaired, ${report.tempsRemoved} temporary file(s) removed`
  )
}).pipe(Effect.provide(layer))

export const stats = Effect.gen(function* () {
  const partitions = yield* (yield* LakeStats).partitions
  yield* Console.log(["table", "partition", "files", "rows", "MB", "min time", "max time"].join("\t"))
  for (const p of partitions) {
    yield* Console.log(
      [p.table, p.partition, p.files, p.rows, mb(p.bytes), iso(p.minTimeMs), iso(p.maxTimeMs)].join("\t")
    )
  }
  for (const table of ["events", "sessions"] as const) {
    const of = partitions.filter((p) => p.table === table)
    yield* Console.log(
      `${table}: ${of.length} partitions, ${of.reduce((n, p) => n + p.files, 0)} files, ` +
        `${of.reduce((n, p) => n + p.rows, 0)} rows, ${mb(of.reduce((n, p) => n + p.bytes, 0))} MB`
    )
  }
}).pipe(Effect.provide(layer))
