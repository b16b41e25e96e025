/**
 * The processor's checkpoint (ARCHITECTURE.md "Stream semantics: Checkpoint"), one directory per Kafka partition so that a
 * partition moves between instances with its state (scale-out, failover):
 *
 *   <dataDir>/checkpoints/<topic>/partition-<p>/plan.json               the partition's next micro-batch, written before its files
 *   <dataDir>/checkpoints/<topic>/partition-<p>/commit.json             its last finished micro-batch: offsets, and where its state is
 *   <dataDir>/checkpoints/<topic>/partition-<p>/snapshot-<seq>-<id>.ndjson the whole state as of plan `seq` (Checkpoint.ts)
 *   <dataDir>/checkpoints/<topic>/partition-<p>/changelog-<seq>-<id>.ndjson  one line per later batch: what it changed (Changelog.ts)
 *   <dataDir>/checkpoints/<topic>/partition-<p>/owner                   the instance that took the partition last
 *
 * The state after a batch is the commit record's snapshot plus the first `bytes` of its changelog:
 * a batch writes its line at that length and fsyncs it, then replaces the commit record (temporary
 * name, fsync, rename, directory fsync) with the new length, so a torn or orphaned tail past that
 * length is never read. A new snapshot (with an empty changelog) is written instead of a line when the changelog has
 * grown past the snapshot (and `checkpointSnapshotBytes`), and always on the first commit after the
 * partition was read: an owner only ever appends to a changelog it started, so the tail a crashed or
 * superseded owner may have left behind is never continued. Files no commit record names are removed
 * once a new snapshot is committed. A plan whose `seq` is greater than the commit's is unfinished:
 * whoever owns the partition next re-runs it with the same offset range, watermarks and processing
 * time, so it rewrites the same lake files with the same content. The plan file lists every plan
 * after the last commit the writer knew of (the processor plans a batch while the previous one's
 * files are still being written), so several may be unfinished; they are re-run in order. All files are untrusted input on
 * read and go through their Schemas.
 */
import * as path from "node:path"
import { Context, Duration, Effect, Layer, Schema } from "effect"
import { SESSION_GAP_MS, SESSION_MAX_MS, type SessionRecord } from "../domain/SessionRecord.ts"
import { Settings } from "../domain/Settings.ts"
import {
  ensureDir,
  type FileIoError,
  listDir,
  readBytesIfExists,
  readTextIfExists,
  removeQuietly,
  writeAtDurable,
  writeFileAtomic,
  writeLinesAtomic
} from "../platform/DurableFiles.ts"
import type { StreamRules } from "./Batch.ts"
import { changelogLine, replayChangelog, type StateDelta } from "./Changelog.ts"
import {
  decodeSnapshot,
  SessionAggregateJson,
  snapshotLines,
  WatermarkJson,
  watermarkFromJson,
  watermarkToJson
} from "./Checkpoint.ts"
import type { StreamState } from "./State.ts"

const Offset = Schema.String.check(Schema.isPattern(/^\d{1,20}$/, { expected: "a decimal Kafka offset" }))
const Seq = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const Count = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
/** A file of the partition's own directory: nothing else may be named (the record is untrusted). */
const StateFileName = (kind: "snapshot" | "changelog", ext: string) =>
  Schema.String.check(
    Schema.isPattern(new RegExp(`^${kind}-\\d{1,15}-[0-9a-f-]{36}\\.${ext}$`), { expected: `a ${kind} file name` })
  )

/** The plan of one partition's part of a micro-batch: everything its re-run needs to be identical. */
export const PartitionPlanJson = Schema.Struct({
  topic: Schema.String,
  partition: Schema.Int,
  seq: Seq,
  /** Offsets of the batch's records (inclusive); null when the batch only moved W for this partition. */
  range: Schema.NullOr(Schema.Struct({ first: Offset, last: Offset })),
  watermarkStartMs: WatermarkJson,
  watermarkEndMs: WatermarkJson,
  processingTimeMs: Schema.Int,
  /** Whether this batch writes the lake files of the batches since the last commit, and commits them. */
  commits: Schema.Boolean
})

/** The partition's plans not known to be committed when it was written, in `seq` order. */
const PlanFileJson = Schema.Struct({ version: Schema.Literal(2), plans: Schema.Array(PartitionPlanJson) })

const SessionRecordJson = Schema.Struct({
  ...SessionAggregateJson.fields,
  userId: Schema.String,
  sessionKey: Schema.String,
  isBounce: Schema.Boolean
})

export const PartitionCommitJson = Schema.Struct({
  version: Schema.Literal(2),
  topic: Schema.String,
  partition: Schema.Int,
  /** The plan this commit finished. */
  seq: Seq,
  /** The next offset to read. */
  nextOffset: Offset,
  /** Largest event time seen in this partition (null before any event). */
  maxEventTimeMs: Schema.NullOr(Schema.Int),
  /** The rules the changelog was written under: its replay must apply the same. */
  rules: Schema.Struct({ delayMs: Count, gapMs: Count, capMs: Count }),
  /** The state as of plan `snapshotSeq`. */
  snapshot: Schema.Struct({ file: StateFileName("snapshot", "ndjson"), seq: Seq }),
  /** The batches after the snapshot: the first `bytes` of the file, `lines` lines. */
  changelog: Schema.Struct({ file: StateFileName("changelog", "ndjson"), bytes: Count, lines: Count }),
  /**
   * Sessions closed in batches that had no record of this partition (another partition moved W):
   * written with the partition's next batch of records, whose offset range names the file.
   */
  unwrittenSessions: Schema.Array(SessionRecordJson)
})

export interface PartitionPlan {
  readonly topic: string
  readonly partition: number
  readonly seq: number
  readonly range: { readonly first: bigint; readonly last: bigint } | null
  readonly watermarkStartMs: number
  readonly watermarkEndMs: number
  readonly processingTimeMs: number
  /** Whether this batch writes the lake files of the batches since the last commit, and commits them. */
  readonly commits: boolean
}

export interface PartitionCommit {
  readonly topic: string
  readonly partition: number
  readonly seq: number
  readonly nextOffset: bigint
  readonly maxEventTimeMs: number | null
  readonly state: StreamState
  readonly unwrittenSessions: ReadonlyArray<SessionRecord>
}

export class CheckpointError extends Schema.TaggedError<CheckpointError>()("CheckpointError", {
  message: Schema.String,
  path: Schema.String,
  cause: Schema.Defect()
}) {}

/** What a new owner of a partition finds: its last commit (if any) and its unfinished plans, in order. */
export interface PartitionCheckpoint {
  readonly commit: PartitionCommit | undefined
  readonly pendingPlans: ReadonlyArray<PartitionPlan>
}

/** A commit record with the state already serialised (`prepareCommit`): the state may move on meanwhile. */
export interface PreparedCommit {
  readonly topic: string
  readonly partition: number
  readonly seq: number
  readonly nextOffset: bigint
  readonly maxEventTimeMs: number | null
  readonly unwrittenSessions: ReadonlyArray<SessionRecord>
  readonly state:
    | { readonly kind: "line"; readonly text: string }
    | { readonly kind: "snapshot"; readonly lines: ReadonlyArray<string> }
}

export const checkpointRoot = (dataDir: string): string => path.join(dataDir, "checkpoints")

export const partitionDir = (dataDir: string, topic: string, partition: number): string =>
  path.join(checkpointRoot(dataDir), topic, `partition-${partition}`)

let tempCounter = 0
const tempOf = (file: string): string => {
  tempCounter += 1
  return `${file}.${process.pid}-${tempCounter}.tmp`
}

const decodePlan = Schema.decodeUnknownEffect(Schema.fromJsonString(PlanFileJson))
const decodeCommit = Schema.decodeUnknownEffect(Schema.fromJsonString(PartitionCommitJson))

/** A commit record of the first format, named in the error instead of "invalid" (there is no reader for it). */
const isVersion1 = (text: string): boolean => /^\s*\{\s*"version"\s*:\s*1\s*,/.test(text)

export const planToJson = (plan: PartitionPlan): typeof PartitionPlanJson.Encoded => ({
  topic: plan.topic,
  partition: plan.partition,
  seq: plan.seq,
  range: plan.range === null ? null : { first: plan.range.first.toString(), last: plan.range.last.toString() },
  watermarkStartMs: watermarkToJson(plan.watermarkStartMs),
  watermarkEndMs: watermarkToJson(plan.watermarkEndMs),
  processingTimeMs: plan.processingTimeMs,
  commits: plan.commits
})

/** Lines of NDJSON bytes (each ended by a newline; the last one too). */
const linesOf = (bytes: Buffer): Array<string> => {
  const lines: Array<string> = []
  let start = 0
  for (let end = bytes.indexOf(10, start); end !== -1; end = bytes.indexOf(10, start)) {
    lines.push(bytes.toString("utf8", start, end))
    start = end + 1
  }
  if (start !== bytes.length) lines.push(bytes.toString("utf8", start))
  return lines
}

/** Where a partition's state is, as its latest commit record says (this process's view). */
interface StateFiles {
  readonly snapshot: { readonly file: string; readonly seq: number }
  readonly snapshotBytes: number
  readonly changelog: { readonly file: string; readonly bytes: number; readonly lines: number }
}

export interface CheckpointerShape {
  /**
   * Replaces the partition's plan file with `plans`: the plan of its next batch, after those of its
   * batches still being written (a batch's plan is durable before its files and KPI updates).
   */
  readonly writePlans: (plans: ReadonlyArray<PartitionPlan>) => Effect.Effect<void, FileIoError>
  /**
   * Serialises the state a batch left, now: `delta` (what the batch changed since the partition's
   * previous commit) as a changelog line, or the whole state when a snapshot is due (see the module
   * comment). The state stays usable and may move on before `writeCommit`.
   */
  readonly prepareCommit: (commit: PartitionCommit, delta: StateDelta) => PreparedCommit
  /**
   * Makes prepared commits of consecutive batches of one partition durable: their lines (after the
   * last snapshot among them, if any), then one commit record, the last one's. In `seq` order.
   */
  readonly writeCommit: (commits: ReadonlyArray<PreparedCommit>) => Effect.Effect<void, FileIoError>
  /** The partition's checkpoint; its next commit writes a snapshot. */
  readonly read: (topic: string, partition: number) => Effect.Effect<PartitionCheckpoint, CheckpointError | FileIoError>
  /**
   * Records that `instance` owns the partition from now on. Kafka's eager rebalance can hand a
   * partition to a new member while the old one is still inside a batch; the old one checks
   * `isOwner` before its plan and commit records and stops writing once the partition moved on.
   */
  readonly claim: (topic: string, partition: number, instance: string) => Effect.Effect<void, FileIoError>
  readonly isOwner: (topic: string, partition: number, instance: string) => Effect.Effect<boolean, FileIoError>
}

export class Checkpointer extends Context.Service<Checkpointer, CheckpointerShape>()("launchpad/stream/Checkpointer") {
  static readonly layer = Layer.effect(
    Checkpointer,
    Effect.gen(function* () {
      const settings = yield* Settings
      const { dataDir } = settings
      const rules: StreamRules = {
        delayMs: Duration.toMillis(settings.watermarkDelay),
        gapMs: SESSION_GAP_MS,
        capMs: SESSION_MAX_MS
      }
      /** By `topic:partition`: the files this process committed last; absent until it wrote a snapshot. */
      const files = new Map<string, StateFiles>()
      /** By `topic:partition`: the changelog and snapshot sizes as of the last prepared commit. */
      const prepared = new Map<string, { bytes: number; readonly snapshotBytes: number }>()

      const writeJson = (file: string, value: unknown) =>
        Effect.andThen(ensureDir(path.dirname(file)), writeFileAtomic(file, tempOf(file), JSON.stringify(value)))

      const writePlans = Effect.fn("Checkpointer.writePlans")(function* (plans: ReadonlyArray<PartitionPlan>) {
        const [first] = plans
        if (first === undefined) return
        const json: typeof PlanFileJson.Encoded = { version: 2, plans: plans.map(planToJson) }
        yield* writeJson(path.join(partitionDir(dataDir, first.topic, first.partition), "plan.json"), json)
      })

      const writeRecord = (dir: string, commit: PreparedCommit, state: StateFiles) =>
        writeJson(path.join(dir, "commit.json"), {
          version: 2,
          topic: commit.topic,
          partition: commit.partition,
          seq: commit.seq,
          nextOffset: commit.nextOffset.toString(),
          maxEventTimeMs: commit.maxEventTimeMs,
          rules,
          snapshot: state.snapshot,
          changelog: state.changelog,
          unwrittenSessions: commit.unwrittenSessions
        } satisfies typeof PartitionCommitJson.Encoded)

      /** Removes snapshots and changelogs (and their temporaries) other than `keep`. */
      const collectGarbage = (dir: string, keep: StateFiles) =>
        Effect.gen(function* () {
          for (const entry of yield* listDir(dir)) {
            const name = entry.name
            if (name === keep.snapshot.file || name === keep.changelog.file) continue
            if (name.startsWith("snapshot-") || name.startsWith("changelog-"))
              yield* removeQuietly(path.join(dir, name))
          }
        })

      const prepareCommit = (commit: PartitionCommit, delta: StateDelta): PreparedCommit => {
        const key = `${commit.topic}:${commit.partition}`
        const sizes = prepared.get(key)
        const record = {
          topic: commit.topic,
          partition: commit.partition,
          seq: commit.seq,
          nextOffset: commit.nextOffset,
          maxEventTimeMs: commit.maxEventTimeMs,
          unwrittenSessions: [...commit.unwrittenSessions]
        }
        if (sizes !== undefined && sizes.bytes < Math.max(sizes.snapshotBytes, settings.checkpointSnapshotBytes)) {
          const text = `${changelogLine(commit.seq, commit.state, delta)}\n`
          sizes.bytes += Buffer.byteLength(text)
          return { ...record, state: { kind: "line", text } }
        }
        const lines = [...snapshotLines(commit.state)]
        prepared.set(key, { bytes: 0, snapshotBytes: lines.reduce((n, line) => n + line.length + 1, 0) })
        return { ...record, state: { kind: "snapshot", lines } }
      }

      const writeCommit = Effect.fn("Checkpointer.writeCommit")(function* (commits: ReadonlyArray<PreparedCommit>) {
        const last = commits[commits.length - 1]
        if (last === undefined) return
        const dir = partitionDir(dataDir, last.topic, last.partition)
        const key = `${last.topic}:${last.partition}`
        let from = 0
        for (let i = 0; i < commits.length; i++) if (commits[i]?.state.kind === "snapshot") from = i
        const first = commits[from]
        let current = files.get(key)
        if (first?.state.kind === "snapshot") {
          const id = `${first.seq}-${crypto.randomUUID()}`
          const snapshotFile = `snapshot-${id}.ndjson`
          yield* ensureDir(dir)
          const target = path.join(dir, snapshotFile)
          const snapshotBytes = yield* writeLinesAtomic(target, tempOf(target), first.state.lines)
          current = {
            snapshot: { file: snapshotFile, seq: first.seq },
            snapshotBytes,
            changelog: { file: `changelog-${id}.ndjson`, bytes: 0, lines: 0 }
          }
          from++
        }
        // A line follows the snapshot prepared before it, whose write succeeded (or the run restarted).
        if (current === undefined) return yield* Effect.die(new Error(`no snapshot for the changelog of ${key}`))
        let text = ""
        let lines = 0
        for (const commit of commits.slice(from)) {
          if (commit.state.kind === "line") {
            text += commit.state.text
            lines++
          }
        }
        if (lines > 0) {
          const { file, bytes } = current.changelog
          const written = yield* writeAtDurable(path.join(dir, file), bytes, text)
          current = { ...current, changelog: { file, bytes: bytes + written, lines: current.changelog.lines + lines } }
        }
        yield* writeRecord(dir, last, current)
        const previous = files.get(key)
        files.set(key, current)
        if (previous?.snapshot.file !== current.snapshot.file) yield* collectGarbage(dir, current)
      })

      const invalid = (file: string) => (cause: unknown) =>
        new CheckpointError({ message: `invalid checkpoint file ${file}`, path: file, cause })

      const readCommit = Effect.fnUntraced(function* (topic: string, partition: number, dir: string, text: string) {
        const commitFile = path.join(dir, "commit.json")
        if (isVersion1(text)) {
          return yield* new CheckpointError({
            message:
              `${commitFile} is a version-1 checkpoint (full state inline), written before incremental ` +
              "checkpoints; this version cannot resume from it. Finish with the earlier version, or reset " +
              "LAUNCHPAD_DATA_DIR (broker log, lake and checkpoints together)",
            path: commitFile,
            cause: undefined
          })
        }
        const json = yield* decodeCommit(text).pipe(Effect.mapError(invalid(commitFile)))
        if (json.topic !== topic || json.partition !== partition) {
          return yield* invalid(commitFile)(new Error(`holds ${json.topic}:${json.partition}`))
        }
        const snapshotFile = path.join(dir, json.snapshot.file)
        const snapshot = yield* readBytesIfExists(snapshotFile)
        if (snapshot === undefined) return yield* invalid(snapshotFile)(new Error("missing"))
        const restored = yield* decodeSnapshot(linesOf(snapshot)).pipe(Effect.mapError(invalid(snapshotFile)))
        const changelogFile = path.join(dir, json.changelog.file)
        const changelog = json.changelog.bytes === 0 ? Buffer.alloc(0) : yield* readBytesIfExists(changelogFile)
        // Past `bytes` is a tail no commit record vouches for (a batch that crashed before its record).
        if (changelog === undefined || changelog.length < json.changelog.bytes) {
          return yield* invalid(changelogFile)(new Error(`shorter than the committed ${json.changelog.bytes} bytes`))
        }
        const lines = linesOf(changelog.subarray(0, json.changelog.bytes))
        if (lines.length !== json.changelog.lines) {
          return yield* invalid(changelogFile)(new Error(`${lines.length} lines, committed ${json.changelog.lines}`))
        }
        const replayed = yield* replayChangelog(
          restored.state,
          lines,
          json.snapshot.seq,
          partition,
          json.rules,
          restored.format
        ).pipe(Effect.mapError(invalid(changelogFile)))
        if (replayed.seq !== json.seq) {
          return yield* invalid(changelogFile)(new Error(`ends at seq ${replayed.seq}, committed ${json.seq}`))
        }
        return {
          topic,
          partition,
          seq: json.seq,
          nextOffset: BigInt(json.nextOffset),
          maxEventTimeMs: json.maxEventTimeMs,
          state: replayed.state,
          unwrittenSessions: json.unwrittenSessions
        } satisfies PartitionCommit
      })

      const read = Effect.fn("Checkpointer.read")(function* (topic: string, partition: number) {
        files.delete(`${topic}:${partition}`)
        prepared.delete(`${topic}:${partition}`)
        const dir = partitionDir(dataDir, topic, partition)
        const planFile = path.join(dir, "plan.json")
        const commitText = yield* readTextIfExists(path.join(dir, "commit.json"))
        const planText = yield* readTextIfExists(planFile)
        const commit = commitText === undefined ? undefined : yield* readCommit(topic, partition, dir, commitText)
        const pendingPlans: Array<PartitionPlan> = []
        if (planText !== undefined) {
          const json = yield* decodePlan(planText).pipe(Effect.mapError(invalid(planFile)))
          let seq = commit?.seq ?? 0
          for (const plan of json.plans) {
            if (plan.topic !== topic || plan.partition !== partition) {
              return yield* invalid(planFile)(new Error(`holds ${plan.topic}:${plan.partition}`))
            }
            if (plan.seq <= seq && pendingPlans.length === 0) continue
            // Unfinished plans continue the commit one by one: anything else is not a file this code wrote.
            if (plan.seq !== seq + 1) return yield* invalid(planFile)(new Error(`plan ${plan.seq} after ${seq}`))
            seq = plan.seq
            pendingPlans.push({
              topic,
              partition,
              seq: plan.seq,
              range: plan.range === null ? null : { first: BigInt(plan.range.first), last: BigInt(plan.range.last) },
              watermarkStartMs: watermarkFromJson(plan.watermarkStartMs),
              watermarkEndMs: watermarkFromJson(plan.watermarkEndMs),
              processingTimeMs: plan.processingTimeMs,
              commits: plan.commits
            })
          }
        }
        return { commit, pendingPlans } satisfies PartitionCheckpoint
      })

      const ownerFile = (topic: string, partition: number) =>
        path.join(partitionDir(dataDir, topic, partition), "owner")

      const claim = Effect.fn("Checkpointer.claim")(function* (topic: string, partition: number, instance: string) {
        const file = ownerFile(topic, partition)
        yield* ensureDir(path.dirname(file))
        yield* writeFileAtomic(file, tempOf(file), instance)
      })

      const isOwner = (topic: string, partition: number, instance: string) =>
        Effect.map(readTextIfExists(ownerFile(topic, partition)), (owner) => owner === instance)

      return Checkpointer.of({ writePlans, prepareCommit, writeCommit, read, claim, isOwner })
    })
  )
}
