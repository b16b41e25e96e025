/**
 * Writes one micro-batch of one Kafka partition to `lake/events/`, one file per (event_date, event_hour)
 * present, partitioned by `occurred_at_corrected` (see LakeTable.ts). Call it, then write the checkpoint
 * commit record, then commit offsets: a crash anywhere is repaired by re-running the same batch, which
 * rewrites the same names with the same content.
 */
import { Context, Effect, Layer } from "effect"
import type { SqlError } from "effect/sql"
import { Settings } from "../domain/Settings.ts"
import type { FileIoError } from "../platform/DurableFiles.ts"
import { eventJsonStaging } from "./EventJsonStaging.ts"
import { LakeEngine } from "./LakeEngine.ts"
import { type EventLakeRow, eventsTable } from "./LakeTable.ts"
import type { LakeManifestError } from "./Manifest.ts"
import { type BatchId, type LakeWriteError, type WrittenFile, writeBatchFiles } from "./ParquetFileWriter.ts"

export interface EventBatch extends BatchId {
  readonly rows: ReadonlyArray<EventLakeRow>
}

export type LakeWriterError = SqlError.SqlError | FileIoError | LakeManifestError | LakeWriteError

export class EventFileWriter extends Context.Service<
  EventFileWriter,
  {
    /** Writes the batch's files durably and returns them (none for an empty batch). */
    readonly write: (batch: EventBatch) => Effect.Effect<ReadonlyArray<WrittenFile>, LakeWriterError>
  }
>()("launchpad/lake/EventFileWriter") {
  static readonly layer = Layer.effect(
    EventFileWriter,
    Effect.gen(function* () {
      const duck = yield* LakeEngine
      const { dataDir } = yield* Settings
      const write = Effect.fn("EventFileWriter.write")(function* (batch: EventBatch) {
        return yield* writeBatchFiles(duck, dataDir, eventsTable, batch, eventJsonStaging(batch.rows))
      })
      return EventFileWriter.of({ write })
    })
  )
}
