/**
 * The processor's checkpoint (DESIGN "Checkpoint"), one directory per Kafka partition so that a
 * partition moves between instances with its state (scale-out, failover):
 *
 *   <dataDir>/checkpoints/<topic>/partition-<p>/plan.json     the partition's next micro-batch, written before its files
 *   <dataDir>/checkpoints/<topic>/partition-<p>/commit.json   the state after its last finished micro-batch
 *   <dataDir>/checkpoints/<topic>/partition-<p>/owner         the instance that took the partition last
 *
 * Both are replaced atomically (temporary name, fsync, rename, directory fsync). A plan whose `seq` is
 * greater than the commit's is unfinished: whoever owns the partition next re-runs it with the same
 * offset range, watermarks and processing time, so it rewrites the same lake files with the same
 * content. Both files are untrusted input on read and go through their Schemas.
 */
import * as path from "node:path"
import { Context, Effect, Layer, Schema } from "effect"
import { Settings } from "../domain/Settings.ts"
import { ensureDir, type LakeIoError, readTextIfExists, writeFileAtomic } from "../lake/LakeFs.ts"
import {
  decodeState,
  encodeState,
  SessionAggregateJson,
  StreamCheckpoint,
  WatermarkJson,
  watermarkFromJson,
  watermarkToJson
} from "./Checkpoint.ts"
import type { SessionRecord } from "./Sessions.ts"
import type { StreamState } from "./State.ts"

const Offset = Schema.String.check(Schema.isPattern(/^\d{1,20}$/, { expected: "a decimal Kafka offset" }))
const Seq = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

/** The plan of one partition's part of a micro-batch: everything its re-run needs to be identical. */
export const PartitionPlanJson = Schema.Struct({
  version: Schema.Literal(1),
  topic: Schema.String,
  partition: Schema.Int,
  seq: Seq,
  /** Offsets of the batch's records (inclusive); null when the batch only moved W for this partition. */
  range: Schema.NullOr(Schema.Struct({ first: Offset, last: Offset })),
  watermarkStartMs: WatermarkJson,
  watermarkEndMs: WatermarkJson,
  processingTimeMs: Schema.Int
})

const SessionRecordJson = Schema.Struct({
  ...SessionAggregateJson.fields,
  userId: Schema.String,
  sessionKey: Schema.String,
  isBounce: Schema.Boolean
})

export const PartitionCommitJson = Schema.Struct({
  version: Schema.Literal(1),
  topic: Schema.String,
  partition: Schema.Int,
  /** The plan this commit finished. */
  seq: Seq,
  /** The next offset to read. */
  nextOffset: Offset,
  /** Largest event time seen in this partition (null before any event). */
  maxEventTimeMs: Schema.NullOr(Schema.Int),
  /** The partition's state (its W is the processor's W after the batch). */
  state: StreamCheckpoint,
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

/** What a new owner of a partition finds: its last commit (if any) and an unfinished plan (if any). */
export interface PartitionCheckpoint {
  readonly commit: PartitionCommit | undefined
  readonly pendingPlan: PartitionPlan | undefined
}

export const checkpointRoot = (dataDir: string): string => path.join(dataDir, "checkpoints")

export const partitionDir = (dataDir: string, topic: string, partition: number): string =>
  path.join(checkpointRoot(dataDir), topic, `partition-${partition}`)

let tempCounter = 0
const tempOf = (file: string): string => {
  tempCounter += 1
  return `${file}.${process.pid}-${tempCounter}.tmp`
}

const decodePlan = Schema.decodeUnknownEffect(Schema.fromJsonString(PartitionPlanJson))
const decodeCommit = Schema.decodeUnknownEffect(Schema.fromJsonString(PartitionCommitJson))

export const planToJson = (plan: PartitionPlan): typeof PartitionPlanJson.Encoded => ({
  version: 1,
  topic: plan.topic,
  partition: plan.partition,
  seq: plan.seq,
  range: plan.range === null ? null : { first: plan.range.first.toString(), last: plan.range.last.toString() },
  watermarkStartMs: watermarkToJson(plan.watermarkStartMs),
  watermarkEndMs: watermarkToJson(plan.watermarkEndMs),
  processingTimeMs: plan.processingTimeMs
})

export interface CheckpointerShape {
  readonly writePlan: (plan: PartitionPlan) => Effect.Effect<void, LakeIoError>
  /** Serialises `commit.state` (which stays usable) and replaces the partition's commit record. */
  readonly writeCommit: (commit: PartitionCommit) => Effect.Effect<void, LakeIoError>
  readonly read: (topic: string, partition: number) => Effect.Effect<PartitionCheckpoint, CheckpointError | LakeIoError>
  /**
   * Records that `instance` owns the partition from now on. Kafka's eager rebalance can hand a
   * partition to a new member while the old one is still inside a batch; the old one checks
   * `isOwner` before its plan and commit records and stops writing once the partition moved on.
   */
  readonly claim: (topic: string, partition: number, instance: string) => Effect.Effect<void, LakeIoError>
  readonly isOwner: (topic: string, partition: number, instance: string) => Effect.Effect<boolean, LakeIoError>
}

export class Checkpointer extends Context.Service<Checkpointer, CheckpointerShape>()("launchpad/stream/Checkpointer") {
  static readonly layer = Layer.effect(
    Checkpointer,
    Effect.gen(function* () {
      const { dataDir } = yield* Settings

      const writeJson = (file: string, value: unknown) =>
        Effect.andThen(ensureDir(path.dirname(file)), writeFileAtomic(file, tempOf(file), JSON.stringify(value)))

      const writePlan = Effect.fn("Checkpointer.writePlan")(function* (plan: PartitionPlan) {
        yield* writeJson(path.join(partitionDir(dataDir, plan.topic, plan.partition), "plan.json"), planToJson(plan))
      })

      const writeCommit = Effect.fn("Checkpointer.writeCommit")(function* (commit: PartitionCommit) {
        const json: typeof PartitionCommitJson.Encoded = {
          version: 1,
          topic: commit.topic,
          partition: commit.partition,
          seq: commit.seq,
          nextOffset: commit.nextOffset.toString(),
          maxEventTimeMs: commit.maxEventTimeMs,
          state: encodeState(commit.state),
          unwrittenSessions: commit.unwrittenSessions
        }
        yield* writeJson(path.join(partitionDir(dataDir, commit.topic, commit.partition), "commit.json"), json)
      })

      const invalid = (file: string) => (cause: unknown) =>
        new CheckpointError({ message: `invalid checkpoint file ${file}`, path: file, cause })

      const read = Effect.fn("Checkpointer.read")(function* (topic: string, partition: number) {
        const dir = partitionDir(dataDir, topic, partition)
        const commitFile = path.join(dir, "commit.json")
        const planFile = path.join(dir, "plan.json")
        const commitText = yield* readTextIfExists(commitFile)
        const planText = yield* readTextIfExists(planFile)
        let commit: PartitionCommit | undefined
        if (commitText !== undefined) {
          const json = yield* decodeCommit(commitText).pipe(Effect.mapError(invalid(commitFile)))
          if (json.topic !== topic || json.partition !== partition) {
            return yield* invalid(commitFile)(new Error(`holds ${json.topic}:${json.partition}`))
          }
          const state = yield* decodeState(json.state).pipe(Effect.mapError(invalid(commitFile)))
          commit = {
            topic,
            partition,
            seq: json.seq,
            nextOffset: BigInt(json.nextOffset),
            maxEventTimeMs: json.maxEventTimeMs,
            state,
            unwrittenSessions: json.unwrittenSessions
          }
        }
        let pendingPlan: PartitionPlan | undefined
        if (planText !== undefined) {
          const json = yield* decodePlan(planText).pipe(Effect.mapError(invalid(planFile)))
          if (json.topic !== topic || json.partition !== partition) {
            return yield* invalid(planFile)(new Error(`holds ${json.topic}:${json.partition}`))
          }
          if (json.seq > (commit?.seq ?? 0)) {
            pendingPlan = {
              topic,
              partition,
              seq: json.seq,
              range: json.range === null ? null : { first: BigInt(json.range.first), last: BigInt(json.range.last) },
              watermarkStartMs: watermarkFromJson(json.watermarkStartMs),
              watermarkEndMs: watermarkFromJson(json.watermarkEndMs),
              processingTimeMs: json.processingTimeMs
            }
          }
        }
        return { commit, pendingPlan } satisfies PartitionCheckpoint
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

      return Checkpointer.of({ writePlan, writeCommit, read, claim, isOwner })
    })
  )
}
