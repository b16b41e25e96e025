/**
 * Writes the sessions one micro-batch of one Kafka partition closed to `lake/sessions/`, one file per
 * `session_date` (UTC date of the session start), with the same exactly-once protocol as events.
 */
import { Context, Effect, Layer } from "effect"
import { Settings } from "../domain/Settings.ts"
import { appenderStaging } from "./AppenderStaging.ts"
import type { LakeWriterError } from "./EventFileWriter.ts"
import { LakeEngine } from "./LakeEngine.ts"
import { type SessionRow, sessionCells, sessionsTable } from "./LakeTable.ts"
import { type BatchId, type WrittenFile, writeBatchFiles } from "./ParquetFileWriter.ts"

export interface SessionBatch extends BatchId {
  readonly rows: ReadonlyArray<SessionRow>
}

export class SessionFileWriter extends Context.Service<
  SessionFileWriter,
  {
    /** Writes the batch's files durably and returns them (none when no session closed). */
    readonly write: (batch: SessionBatch) => Effect.Effect<ReadonlyArray<WrittenFile>, LakeWriterError>
  }
>()("launchpad/lake/SessionFileWriter") {
  static readonly layer = Layer.effect(
    SessionFileWriter,
    Effect.gen(function* () {
      const duck = yield* LakeEngine
      const { dataDir } = yield* Settings
      const write = Effect.fn("SessionFileWriter.write")(function* (batch: SessionBatch) {
        const rows = batch.rows.map((row) => ({ timeMs: row.startMs, cells: sessionCells(row) }))
        return yield* writeBatchFiles(duck, dataDir, sessionsTable, batch, appenderStaging(sessionsTable, rows))
      })
      return SessionFileWriter.of({ write })
    })
  )
}
