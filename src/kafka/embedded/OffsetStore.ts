/**
 * Durable committed offsets of the embedded broker's consumer groups (the role of Kafka's
 * `__consumer_offsets`). One append-only file of JSON lines under
 * `<dataDir>/broker/__consumer_offsets/`: a single writer fiber takes every commit queued since its
 * last write, appends them with one write and one fsync, and only then applies them to memory and
 * answers, so a commit is acknowledged only once it survives kill -9. A line without its trailing
 * newline is a torn write and is ignored. The file is compacted (latest value per group, topic and
 * partition) on start and whenever it grows well past the live set, by writing a temporary file,
 * fsyncing it and renaming it over the log.
 */
import * as NodeFs from "node:fs/promises"
import * as NodePath from "node:path"
import { Context, Deferred, Effect, Layer, Option, Queue, Schema } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { writeFileAtomicPromise } from "../../platform/DurableFiles.ts"

export interface CommittedOffset {
  readonly offset: bigint
  readonly metadata: string | null
}

export interface OffsetCommitEntry extends CommittedOffset {
  readonly group: string
  readonly topic: string
  readonly partition: number
}

/** topic -> partition -> committed offset, for one group. */
export type GroupOffsets = ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>>

export interface OffsetStoreService {
  /** Appends and fsyncs the entries; `false` when they could not be made durable. */
  readonly commit: (entries: ReadonlyArray<OffsetCommitEntry>) => Effect.Effect<boolean>
  /** Forgets every group's offsets for a deleted topic, durably. */
  readonly deleteTopic: (topic: string) => Effect.Effect<boolean>
  readonly offsets: (group: string) => Effect.Effect<GroupOffsets>
  readonly groups: Effect.Effect<ReadonlyArray<string>>
}

const CommitRecord = Schema.Struct({
  group: Schema.String,
  topic: Schema.String,
  partition: Schema.Int,
  offset: Schema.BigIntFromString,
  metadata: Schema.NullOr(Schema.String)
})
const DeleteTopicRecord = Schema.Struct({ deleteTopic: Schema.String })
const LogLine = Schema.fromJsonString(Schema.Union([CommitRecord, DeleteTopicRecord]))
type LogRecord = typeof LogLine.Type

const encodeLine = Schema.encodeSync(LogLine)
const decodeLine = Schema.decodeUnknownOption(LogLine)

const LOG_FILE = "offsets.log"
const TEMP_FILE = "offsets.log.tmp"
/** Rewrite once the log holds at least this many lines and twice the live entries. */
const COMPACT_SLACK = 10_000

type MutableOffsets = Map<string, Map<string, Map<number, CommittedOffset>>>

const apply = (state: MutableOffsets, record: LogRecord): void => {
  if ("deleteTopic" in record) {
    for (const topics of state.values()) topics.delete(record.deleteTopic)
    return
  }
  let topics = state.get(record.group)
  if (topics === undefined) {
    topics = new Map()
    state.set(record.group, topics)
  }
  let partitions = topics.get(record.topic)
  if (partitions === undefined) {
    partitions = new Map()
    topics.set(record.topic, partitions)
  }
  partitions.set(record.partition, { offset: record.offset, metadata: record.metadata })
}

const liveRecords = (state: MutableOffsets): Array<LogRecord> => {
  const records: Array<LogRecord> = []
  for (const [group, topics] of state) {
    for (const [topic, partitions] of topics) {
      for (const [partition, { offset, metadata }] of partitions) {
        records.push({ group, topic, partition, offset, metadata })
      }
    }
  }
  return records
}

const toText = (records: ReadonlyArray<LogRecord>): string => records.map((r) => `${encodeLine(r)}\n`).join("")

/** Writes `text` to a temporary file, fsyncs it, renames it over the log and fsyncs the directory. */
const rewrite = (dir: string, text: string): Promise<void> =>
  writeFileAtomicPromise(NodePath.join(dir, LOG_FILE), NodePath.join(dir, TEMP_FILE), text)

interface Pending {
  readonly records: ReadonlyArray<LogRecord>
  readonly done: Deferred.Deferred<boolean>
}

export class OffsetStore extends Context.Service<OffsetStore, OffsetStoreService>()(
  "launchpad/kafka/embedded/OffsetStore"
) {
  static readonly layer = Layer.effect(
    OffsetStore,
    Effect.gen(function* () {
      const settings = yield* Settings
      const dir = NodePath.join(settings.dataDir, "broker", "__consumer_offsets")
      const logPath = NodePath.join(dir, LOG_FILE)
      const state: MutableOffsets = new Map()

      const existing = yield* Effect.promise(async () => {
        await NodeFs.mkdir(dir, { recursive: true })
        return NodeFs.readFile(logPath, "utf8").catch((error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return ""
          throw error
        })
      })
      const lines = existing.split("\n")
      // The text after the last newline is a write that kill -9 cut short.
      const torn = lines.pop() ?? ""
      if (torn !== "")
        yield* Effect.logWarning("offset log: ignoring a torn last record").pipe(Effect.annotateLogs({ logPath }))
      let skipped = 0
      for (const line of lines) {
        if (line === "") continue
        const record = decodeLine(line)
        if (Option.isSome(record)) apply(state, record.value)
        else skipped++
      }
      if (skipped > 0) yield* Effect.logWarning(`offset log: skipped ${skipped} unreadable records`)

      const loaded = liveRecords(state)
      yield* Effect.promise(() => rewrite(dir, toText(loaded)))
      let linesInFile = loaded.length

      let file = yield* Effect.promise(() => NodeFs.open(logPath, "a"))
      yield* Effect.addFinalizer(() => Effect.tryPromise(() => file.close()).pipe(Effect.ignore))

      /** Rewrites the log as the live set when it has grown, or always after a failed append (`force`). */
      const compact = (force: boolean) =>
        Effect.gen(function* () {
          if (!force && linesInFile < COMPACT_SLACK) return
          const live = liveRecords(state)
          if (!force && linesInFile < 2 * live.length) return
          const text = toText(live)
          yield* Effect.tryPromise(async () => {
            await rewrite(dir, text)
            const reopened = await NodeFs.open(logPath, "a")
            await file.close()
            file = reopened
          })
          linesInFile = live.length
        })

      const writeBatch = (batch: ReadonlyArray<Pending>) =>
        Effect.gen(function* () {
          const records = batch.flatMap((p) => p.records)
          const durable = yield* Effect.tryPromise(async () => {
            await file.write(toText(records))
            await file.sync()
          }).pipe(
            Effect.as(true),
            Effect.catchCause((cause) => Effect.logError("offset log: append failed", cause).pipe(Effect.as(false)))
          )
          if (durable) {
            for (const record of records) apply(state, record)
            linesInFile += records.length
          }
          // A failed append may have left a partial line that the next append would run into.
          yield* compact(!durable).pipe(
            Effect.catchCause((cause) => Effect.logError("offset log: compaction failed", cause))
          )
          for (const p of batch) Deferred.doneUnsafe(p.done, Effect.succeed(durable))
        }).pipe(Effect.uninterruptible)

      const queue = yield* Queue.unbounded<Pending>()
      let closed = false
      // Runs after the writer is interrupted (finalizers run in reverse): no queued commit waits forever.
      yield* Effect.addFinalizer(() =>
        Effect.gen(function* () {
          closed = true
          const left = yield* Queue.clear(queue)
          for (const p of left) Deferred.doneUnsafe(p.done, Effect.succeed(false))
        })
      )
      yield* Effect.gen(function* () {
        while (true) yield* writeBatch(yield* Queue.takeAll(queue))
      }).pipe(Effect.forkScoped)

      const enqueue = (records: ReadonlyArray<LogRecord>) =>
        Effect.gen(function* () {
          if (closed) return false
          const done = yield* Deferred.make<boolean>()
          yield* Queue.offer(queue, { records, done })
          return yield* Deferred.await(done)
        })

      const offsets = (group: string): Effect.Effect<GroupOffsets> =>
        Effect.sync(() => {
          const topics = state.get(group)
          if (topics === undefined) return new Map()
          return new Map([...topics].map(([topic, partitions]) => [topic, new Map(partitions)]))
        })

      return OffsetStore.of({
        commit: (entries) => enqueue(entries.map((e) => ({ ...e }))),
        deleteTopic: (topic) => enqueue([{ deleteTopic: topic }]),
        offsets,
        groups: Effect.sync(() => [...state].filter(([, topics]) => topics.size > 0).map(([group]) => group))
      })
    })
  )
}
