/**
 * The lake's manifest is the directory itself plus compaction records (see LakeLayout.ts, rule 2). This
 * module reads one partition directory into its live file set and lists a table's partitions.
 */
import * as path from "node:path"
import { Effect, Schema } from "effect"
import { type DirEntry, type FileIoError, listDir, readTextIfExists } from "../platform/DurableFiles.ts"
import { isCompactionRecord, isDataFile, isTempFile, parsePartition, tableRoot } from "./LakeLayout.ts"
import type { LakeTable } from "./LakeTable.ts"

/** A compaction record: `output` replaces `inputs` once `output` exists. */
export const CompactionRecord = Schema.Struct({
  output: Schema.String,
  inputs: Schema.Array(Schema.String),
  rows: Schema.Number,
  createdAtMs: Schema.Number
})
export type CompactionRecord = typeof CompactionRecord.Type

export const CompactionRecordJson = Schema.fromJsonString(CompactionRecord)

export class LakeManifestError extends Schema.TaggedError<LakeManifestError>()("LakeManifestError", {
  message: Schema.String,
  path: Schema.String,
  cause: Schema.Defect()
}) {}

export interface NamedRecord {
  readonly name: string
  readonly record: CompactionRecord
}

export interface PartitionState {
  /** Absolute directory. */
  readonly dir: string
  /** Relative to the table root, e.g. `event_date=2026-11-22/event_hour=10`. */
  readonly relative: string
  /** Every visible `*.parquet` name, sorted. */
  readonly dataFiles: ReadonlyArray<string>
  /** Live data files, sorted: `dataFiles` minus the inputs of committed records. */
  readonly live: ReadonlyArray<string>
  readonly records: ReadonlyArray<NamedRecord>
  /** Names of committed records. */
  readonly committed: ReadonlySet<string>
  readonly temps: ReadonlyArray<string>
}

/** Committed: the output exists, or was itself an input of a committed record (a later compaction). */
export const committedRecords = (
  dataFiles: ReadonlySet<string>,
  records: ReadonlyArray<NamedRecord>
): ReadonlySet<string> => {
  const committed = new Set<string>()
  const replaced = new Set<string>()
  let changed = true
  while (changed) {
    changed = false
    for (const { name, record } of records) {
      if (committed.has(name)) continue
      if (dataFiles.has(record.output) || replaced.has(record.output)) {
        committed.add(name)
        for (const input of record.inputs) replaced.add(input)
        changed = true
      }
    }
  }
  return committed
}

const sameListing = (a: ReadonlyArray<DirEntry>, b: ReadonlyArray<DirEntry>): boolean => {
  if (a.length !== b.length) return false
  const names = new Set(a.map((e) => e.name))
  return b.every((e) => names.has(e.name))
}

const STABLE_LISTING_ATTEMPTS = 20

/**
 * A listing taken while a compaction renames files may mix states (readdir gives no snapshot), so a
 * directory is listed until two consecutive listings agree.
 */
const stableListing = Effect.fnUntraced(function* (dir: string) {
  let previous = yield* listDir(dir)
  for (let attempt = 0; attempt < STABLE_LISTING_ATTEMPTS; attempt++) {
    const current = yield* listDir(dir)
    if (sameListing(previous, current)) return current
    previous = current
  }
  return previous
})

const decodeRecord = Schema.decodeUnknownEffect(CompactionRecordJson)

/** Reads one partition directory: its files, compaction records and live set. */
export const readPartition = Effect.fn("Manifest.readPartition")(function* (
  table: LakeTable,
  dataDir: string,
  relative: string
): Effect.fn.Return<PartitionState, FileIoError | LakeManifestError> {
  const dir = path.join(tableRoot(dataDir, table), relative)
  for (;;) {
    const entries = yield* stableListing(dir)
    const files = entries.filter((e) => !e.isDirectory).map((e) => e.name)
    const dataFiles = files.filter(isDataFile).sort()
    const records: Array<NamedRecord> = []
    let vanished = false
    for (const name of files.filter(isCompactionRecord).sort()) {
      const file = path.join(dir, name)
      const text = yield* readTextIfExists(file)
      // Only a rolled-back compaction removes a record: list again.
      if (text === undefined) {
        vanished = true
        break
      }
      const record = yield* decodeRecord(text).pipe(
        Effect.mapError(
          (cause) => new LakeManifestError({ message: `invalid compaction record ${file}`, path: file, cause })
        )
      )
      records.push({ name, record })
    }
    if (vanished) continue
    const committed = committedRecords(new Set(dataFiles), records)
    const replaced = new Set(records.filter((r) => committed.has(r.name)).flatMap((r) => r.record.inputs))
    return {
      dir,
      relative,
      dataFiles,
      live: dataFiles.filter((name) => !replaced.has(name)),
      records,
      committed,
      temps: files.filter(isTempFile).sort()
    }
  }
})

/**
 * Whether a batch file of this name was compacted (or is being compacted) in this partition: either way
 * its rows are live elsewhere or the file still exists, so a re-run of its batch must not write it.
 */
export const isCompacted = (state: PartitionState, name: string): boolean =>
  state.records.some((r) => r.record.inputs.includes(name))

/** Whether a committed compaction replaced a file of this name. */
export const isReplaced = (state: PartitionState, name: string): boolean =>
  state.records.some((r) => state.committed.has(r.name) && r.record.inputs.includes(name))

/** The table's partition directories (relative), sorted. */
export const listPartitions = Effect.fn("Manifest.listPartitions")(function* (table: LakeTable, dataDir: string) {
  const root = tableRoot(dataDir, table)
  const dates = (yield* listDir(root)).filter((e) => e.isDirectory).map((e) => e.name)
  const out: Array<string> = []
  for (const date of dates.sort()) {
    if (table.hourPartition === undefined) {
      if (parsePartition(table, date) !== undefined) out.push(date)
      continue
    }
    const hours = (yield* listDir(path.join(root, date))).filter((e) => e.isDirectory).map((e) => e.name)
    for (const hour of hours.sort()) {
      const relative = `${date}/${hour}`
      if (parsePartition(table, relative) !== undefined) out.push(relative)
    }
  }
  return out
})
