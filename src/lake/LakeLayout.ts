/**
 * Where lake files live and what they are called.
 *
 *   <dataDir>/lake/events/event_date=YYYY-MM-DD/event_hour=HH/part-<topic>-<partition>-<first>-<last>.parquet
 *   <dataDir>/lake/sessions/session_date=YYYY-MM-DD/part-<topic>-<partition>-<first>-<last>.parquet
 *   …/compacted-<hash>.parquet          one hour's (one day's) files merged, hash of the input names
 *   …/_compaction-<hash>.json           compaction record: { output, inputs }
 *   …/.tmp-<final name>.<pid>-<n>.partial   a file being written (never matches `*.parquet`)
 *   <dataDir>/lake/_trash/              partitions retention moved out, being deleted
 *
 * Dates and hours are UTC; offsets are zero-padded to 20 digits so names sort by offset.
 *
 * Reader contract (the manifest):
 * 1. Writes: a file is written under a temporary name, fsynced, renamed to its final name and the
 *    directory fsynced. A visible `*.parquet` is therefore always complete, and re-writing a batch
 *    replaces a file by an identical one in one rename.
 * 2. Compaction of a partition directory: write the merged file to a temporary name and fsync; write the
 *    record `_compaction-<hash>.json` (temporary name, fsync, rename); rename the merged file into place:
 *    that rename is the commit. Then delete the inputs. A record is *committed* when its output exists (or
 *    was itself compacted by a committed record). The live files of a directory are its `*.parquet` files
 *    minus the inputs of committed records. Before the commit they are the old set, after it the new set:
 *    never both, never neither. Records are kept, so a batch re-run after its file was compacted is
 *    recognised and not written again (exactly-once survives compaction). One compaction or retention
 *    runs at a time (`_maintenance.lock`); each run first rolls crashed compactions forward or back.
 * 3. Retention renames a whole date directory into `_trash/` (one atomic rename), then deletes it.
 * `LakeReader` applies rule 2, takes each directory's listing until two consecutive listings agree, and
 * re-plans a query whose file vanished under it (compaction deleted an input it had listed): its reads
 * are atomic with respect to writes, compaction and retention. A raw glob `lake/events/**\/*.parquet`
 * never sees a partial or temporary file, but between a compaction's commit and the deletion of its
 * inputs it sees rows twice; only consumers that dedup by `event_id` (as `stg_events_deduplicated` does) may use it.
 */
import { createHash } from "node:crypto"
import * as path from "node:path"
import type { LakeTable } from "./LakeTable.ts"

export const lakeRoot = (dataDir: string): string => path.join(dataDir, "lake")

export const tableRoot = (dataDir: string, table: LakeTable): string => path.join(lakeRoot(dataDir), table.name)

export const trashRoot = (dataDir: string): string => path.join(lakeRoot(dataDir), "_trash")

const pad2 = (n: number): string => String(n).padStart(2, "0")

const OFFSET_DIGITS = 20

export const padOffset = (offset: bigint | number): string => String(offset).padStart(OFFSET_DIGITS, "0")

/** The partition directory (relative to the table root) of a row with this time. */
export const partitionOf = (table: LakeTable, timeMs: number): string => {
  const d = new Date(timeMs)
  const date = `${table.datePartition}=${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`
  return table.hourPartition === undefined ? date : `${date}/${table.hourPartition}=${pad2(d.getUTCHours())}`
}

export interface PartitionRange {
  /** The date directory's name, e.g. `event_date=2026-11-22`. */
  readonly dateDir: string
  readonly startMs: number
  readonly endMs: number
}

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/
const HOUR_RE = /^\d{2}$/

/** Parses a partition directory (relative path) back into its time range; `undefined` if it is not one. */
export const parsePartition = (table: LakeTable, relative: string): PartitionRange | undefined => {
  const [dateDir, hourDir, ...rest] = relative.split("/")
  if (dateDir === undefined || rest.length > 0) return undefined
  const date = DATE_RE.exec(
    dateDir.startsWith(`${table.datePartition}=`) ? dateDir.slice(table.datePartition.length + 1) : ""
  )
  if (date === null) return undefined
  const dayStart = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]))
  if (table.hourPartition === undefined) {
    return hourDir === undefined ? { dateDir, startMs: dayStart, endMs: dayStart + 86_400_000 } : undefined
  }
  const prefix = `${table.hourPartition}=`
  if (hourDir === undefined || !hourDir.startsWith(prefix)) return undefined
  const hour = hourDir.slice(prefix.length)
  if (!HOUR_RE.test(hour) || Number(hour) > 23) return undefined
  const startMs = dayStart + Number(hour) * 3_600_000
  return { dateDir, startMs, endMs: startMs + 3_600_000 }
}

/** Parses a date directory name (`event_date=2026-11-22`) into the day's start; `undefined` if it is not one. */
export const parseDateDir = (table: LakeTable, name: string): number | undefined => {
  const prefix = `${table.datePartition}=`
  const date = DATE_RE.exec(name.startsWith(prefix) ? name.slice(prefix.length) : "")
  return date === null ? undefined : Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]))
}

/** The deterministic name of one micro-batch's file in one partition. */
export const partFileName = (
  topic: string,
  partition: number,
  firstOffset: bigint | number,
  lastOffset: bigint | number
): string => `part-${topic}-${partition}-${padOffset(firstOffset)}-${padOffset(lastOffset)}.parquet`

const HASH_HEX = 16

/** The compaction hash: of the sorted input names, so the same inputs always give the same output. */
export const compactionHash = (inputs: ReadonlyArray<string>): string =>
  createHash("sha256")
    .update([...inputs].sort().join("\n"))
    .digest("hex")
    .slice(0, HASH_HEX)

const COMPACTED_PREFIX = "compacted-"

export const compactedFileName = (hash: string): string => `${COMPACTED_PREFIX}${hash}.parquet`

export const COMPACTION_RECORD_PREFIX = "_compaction-"

export const compactionRecordName = (hash: string): string => `${COMPACTION_RECORD_PREFIX}${hash}.json`

export const isCompactionRecord = (name: string): boolean =>
  name.startsWith(COMPACTION_RECORD_PREFIX) && name.endsWith(".json")

const TEMP_PREFIX = ".tmp-"
const TEMP_SUFFIX = ".partial"
let tempCounter = 0

/** A temporary name next to `finalName`, unique per process and call (two writers of one batch never share it). */
export const tempName = (finalName: string): string => {
  tempCounter += 1
  return `${TEMP_PREFIX}${finalName}.${process.pid}-${tempCounter}${TEMP_SUFFIX}`
}

export const isTempFile = (name: string): boolean => name.startsWith(TEMP_PREFIX) && name.endsWith(TEMP_SUFFIX)

/** A temporary of compaction (merged file or record) rather than of a writer. */
export const isCompactionTemp = (name: string): boolean =>
  isTempFile(name) &&
  (name.startsWith(`${TEMP_PREFIX}${COMPACTED_PREFIX}`) || name.startsWith(`${TEMP_PREFIX}${COMPACTION_RECORD_PREFIX}`))

/** A visible data file: what `*.parquet` globs and readers consider. */
export const isDataFile = (name: string): boolean =>
  name.endsWith(".parquet") && !name.startsWith(".") && !name.startsWith("_")
