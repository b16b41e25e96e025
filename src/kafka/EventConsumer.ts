/**
 * Consumer groups as Effect `Stream`s of record batches, with explicit commits and rebalance
 * callbacks that let the stream processor resume from its own checkpoint.
 *
 * How it maps onto kafkajs 2.2.4:
 * - `eachBatch` (auto-commit and auto-resolve off) hands each batch to a bounded queue and waits
 *   until the stream has taken it, heartbeating meanwhile; so kafkajs fetches no further than the
 *   stream consumes (backpressure) and nothing sits in memory that the stream has not asked for.
 * - kafkajs has no "partitions revoked" hook and its protocol is eager, so assignments are derived
 *   from the `GROUP_JOIN` events: the diff against what the processor holds gives the revoked and
 *   newly assigned partitions (a partition lost and regained between two pulls counts as both).
 * - The callbacks run inside the stream's pull, i.e. after the downstream has finished with the
 *   previous batch and before it sees any batch of the new assignment. Until they have run (and
 *   the seeks are issued) `eachBatch` holds every batch back; batches fetched from stale positions
 *   are dropped and re-fetched.
 * - kafkajs re-reads the group's committed offsets on every rejoin. Partitions the processor keeps
 *   across a rebalance are therefore sought back to the position after the last batch it took, so
 *   a rebalance neither repeats nor skips records.
 */
import { Context, Deferred, Effect, Exit, Layer, Metric, Option, Queue, Schema, Stream } from "effect"
import type { Batch, Consumer, EachBatchPayload, IHeaders, KafkaMessage } from "kafkajs"
import { Settings } from "../domain/Settings.ts"
import { BrokerUnavailable, Kafka } from "./Kafka.ts"
import { Topics } from "./Topics.ts"

/** A commit was refused: the partition is not (or no longer) ours, or the broker said no. */
export class CommitFailed extends Schema.TaggedError<CommitFailed>()("CommitFailed", {
  message: Schema.String,
  topic: Schema.String,
  partition: Schema.Number,
  cause: Schema.optional(Schema.Defect())
}) {}

export interface TopicPartition {
  readonly topic: string
  readonly partition: number
}

/** The key used in `onAssigned`'s offset map: `topic:partition` (topic names cannot contain ':'). */
export const partitionKey = (tp: TopicPartition): string => `${tp.topic}:${tp.partition}`

export const parsePartitionKey = (key: string): TopicPartition => {
  const colon = key.lastIndexOf(":")
  return { topic: key.slice(0, colon), partition: Number(key.slice(colon + 1)) }
}

export interface ConsumedMessage {
  readonly offset: bigint
  /** UTF-8 key (`user_id` on events_raw), null when the record has none. */
  readonly key: string | null
  /** Raw value; a tombstone (null value) arrives as an empty array. */
  readonly value: Uint8Array
  readonly headers: Readonly<Record<string, string>>
  /** Record timestamp, epoch milliseconds. */
  readonly timestamp: number
}

export interface RecordBatch {
  readonly topic: string
  readonly partition: number
  /** Offset of the first and last message in `messages` (inclusive). */
  readonly firstOffset: bigint
  readonly lastOffset: bigint
  /** The partition's high watermark when fetched: the offset the next produced record will get. */
  readonly highWatermark: bigint
  readonly messages: ReadonlyArray<ConsumedMessage>
}

export interface ConsumerGroupOptions<E = never, R = never> {
  readonly groupId: string
  readonly topics: ReadonlyArray<string>
  /** Where partitions without a committed offset (and without an `onAssigned` offset) start. Default true. */
  readonly fromBeginning?: boolean
  /**
   * Newly assigned partitions. Return the offsets to start from (by `partitionKey`), e.g. from the
   * processor's checkpoint; partitions left out start at the group's committed offset.
   */
  readonly onAssigned?: (partitions: ReadonlyArray<TopicPartition>) => Effect.Effect<ReadonlyMap<string, bigint>, E, R>
  /**
   * Partitions taken away: drop or flush their state. On a rebalance they already belong to another
   * member (kafkajs learns of it only after rejoining), so commits for them are refused; when the
   * stream itself stops, this runs before leaving the group and commits still work.
   */
  readonly onRevoked?: (partitions: ReadonlyArray<TopicPartition>) => Effect.Effect<void, E, R>
  readonly sessionTimeoutMs?: number
  readonly heartbeatIntervalMs?: number
  readonly rebalanceTimeoutMs?: number
  /** Fetch long-poll; also bounds how long stopping waits for an idle fetch. Default 1000. */
  readonly maxWaitTimeMs?: number
  readonly maxBytesPerPartition?: number
}

export interface ConsumerGroup<E = never, R = never> {
  /**
   * Batches in partition order. Run it once at a time: running it joins the group, interrupting
   * it runs `onRevoked` for everything held, then leaves the group and disconnects.
   */
  readonly batches: Stream.Stream<RecordBatch, E | BrokerUnavailable, R>
  /**
   * Like `batches`, but each element holds a batch and those that arrive within `lingerMs` after it
   * (at most `max`): kafkajs hands over the batches of one fetch one at a time, and a consumer that
   * pays per transaction applies them together. Never spans a rebalance.
   */
  readonly batchGroups: (
    lingerMs: number,
    max: number
  ) => Stream.Stream<ReadonlyArray<RecordBatch>, E | BrokerUnavailable, R>
  /** Commit `nextOffset` (last processed offset + 1) for a partition this member holds. */
  readonly commit: (topic: string, partition: number, nextOffset: bigint) => Effect.Effect<void, CommitFailed>
  /** Partitions the processor currently holds (after its callbacks ran). */
  readonly assignment: Effect.Effect<ReadonlyArray<TopicPartition>>
}

export interface EventConsumerShape {
  /**
   * Describe a consumer group; nothing connects until `batches` runs.
   *
   * ```ts
   * const group = consumer.group({
   *   groupId: "launchpad-stream",
   *   topics: [TopicNames.eventsRaw],
   *   onAssigned: (partitions) => checkpoints.nextOffsets(partitions), // Map<partitionKey, bigint>
   *   onRevoked: (partitions) => state.drop(partitions)
   * })
   * yield* group.batches.pipe(
   *   Stream.mapEffect((batch) =>
   *     writeDurably(batch).pipe(Effect.andThen(group.commit(batch.topic, batch.partition, batch.lastOffset + 1n)))
   *   ),
   *   Stream.runDrain
   * )
   * ```
   */
  readonly group: <E = never, R = never>(options: ConsumerGroupOptions<E, R>) => ConsumerGroup<E, R>
}

const consumerLag = Metric.gauge("launchpad_kafka_consumer_lag", {
  description: "records behind the high watermark after the last batch taken, per partition"
})
const batchesConsumed = Metric.counter("launchpad_kafka_batches_consumed_total", {
  description: "record batches handed to the stream",
  incremental: true
})

/** Exported for dashboards and tests. */
export const ConsumerMetrics = { consumerLag, batchesConsumed } as const

// ---------------------------------------------------------------------------------------------
// Pure helpers (unit-tested)

const emptyBytes = new Uint8Array(0)

const headerString = (value: Buffer | string): string => (typeof value === "string" ? value : value.toString("utf8"))

/** kafkajs headers may be Buffers or repeated; repeated headers keep the last value (as Java's lastHeader). */
export const decodeHeaders = (headers: IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {}
  if (headers === undefined) return out
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) {
      const last = value[value.length - 1]
      if (last !== undefined) out[name] = headerString(last)
    } else {
      out[name] = headerString(value)
    }
  }
  return out
}

export const toConsumedMessage = (message: KafkaMessage): ConsumedMessage => ({
  offset: BigInt(message.offset),
  key: message.key === null ? null : message.key.toString("utf8"),
  value: message.value ?? emptyBytes,
  headers: decodeHeaders(message.headers),
  timestamp: Number(message.timestamp)
})

export interface AssignmentDiff {
  readonly revoked: ReadonlyArray<string>
  readonly assigned: ReadonlyArray<string>
}

/**
 * What changed for the processor: `held` is what it holds, `latest` kafkajs's current assignment,
 * `lost` partitions that dropped out of some assignment in between (held elsewhere meanwhile).
 */
export const diffAssignment = (
  held: ReadonlySet<string>,
  latest: ReadonlySet<string>,
  lost: ReadonlySet<string>
): AssignmentDiff => ({
  revoked: [...held].filter((key) => !latest.has(key) || lost.has(key)).sort(),
  assigned: [...latest].filter((key) => !held.has(key) || lost.has(key)).sort()
})

// ---------------------------------------------------------------------------------------------

type Outcome = "taken" | "dropped"

interface BatchItem {
  readonly _tag: "Batch"
  /** The kafkajs join this batch was fetched under. */
  readonly join: number
  readonly raw: Batch
  state: "pending" | Outcome | "cancelled"
  readonly done: Deferred.Deferred<Outcome>
}

type Item = BatchItem | { readonly _tag: "Wake" }

const wakeItem: Item = { _tag: "Wake" }

/** Mutable per-run state shared by kafkajs's callbacks (plain JS) and the stream's pull. */
interface RunState {
  /** GROUP_JOINs (and crashes) seen from kafkajs. */
  joinCount: number
  /** The join whose callbacks have run. */
  appliedJoin: number
  kafkaAssignment: Set<string>
  lost: Set<string>
  /** What the processor holds (its callbacks have run for these). */
  held: Set<string>
  /** Next offset to read per held partition, when known (taken batches or `onAssigned`). */
  position: Map<string, bigint>
  /** Open once the current join's callbacks have run; eachBatch waits on it. */
  gate: Deferred.Deferred<void>
  rebalancePending: boolean
  failure: BrokerUnavailable | undefined
  stopping: boolean
  pendingItems: Set<BatchItem>
}

const keysOf = (assignment: Readonly<Record<string, ReadonlyArray<number>>>): Set<string> => {
  const keys = new Set<string>()
  for (const [topic, partitions] of Object.entries(assignment)) {
    for (const partition of partitions) keys.add(partitionKey({ topic, partition }))
  }
  return keys
}

type HeartbeatResult<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Failed"; readonly error: unknown }

const make = Effect.gen(function* () {
  const { client } = yield* Kafka
  const topics = yield* Topics
  const settings = yield* Settings

  const group = <E = never, R = never>(options: ConsumerGroupOptions<E, R>): ConsumerGroup<E, R> => {
    const { groupId } = options
    // A member that dies without leaving (kill -9) holds its partitions until its session times out:
    // LAUNCHPAD_CONSUMER_SESSION_TIMEOUT_MS (10 s), not kafkajs's 30 s, so a restart resumes in seconds.
    const sessionTimeoutMs = options.sessionTimeoutMs ?? settings.consumerSessionTimeoutMs
    const heartbeatIntervalMs = options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeoutMs / 3))
    const onAssigned = options.onAssigned ?? (() => Effect.succeed(new Map<string, bigint>()))
    const onRevoked = options.onRevoked ?? (() => Effect.void)
    let current: { readonly consumer: Consumer; readonly state: RunState } | undefined

    const open = (lingerMs: number, max: number) =>
      Stream.unwrap(
        Effect.gen(function* () {
          // Never subscribe before the topics exist: that would auto-create one with the wrong shape.
          yield* topics.ready
          const context = yield* Effect.context<never>()
          const runPromise = Effect.runPromiseWith(context)
          // Holds at most one live batch (kafkajs hands batches over one at a time) plus wake-ups and
          // batches cancelled by a rebalance; offers beyond that suspend, so memory stays bounded.
          const queue = yield* Queue.bounded<Item>(16)
          const state: RunState = {
            joinCount: 0,
            appliedJoin: 0,
            kafkaAssignment: new Set(),
            lost: new Set(),
            held: new Set(),
            position: new Map(),
            gate: Deferred.makeUnsafe<void>(),
            rebalancePending: false,
            failure: undefined,
            stopping: false,
            pendingItems: new Set()
          }
          const lagOf = (key: string) => {
            const { topic, partition } = parsePartitionKey(key)
            return Metric.withAttributes(consumerLag, { group: groupId, topic, partition: String(partition) })
          }

          const wake = () => {
            if (state.rebalancePending) return
            state.rebalancePending = true
            // If the queue is full the flag alone is enough: the stream checks it after every take.
            Queue.offerUnsafe(queue, wakeItem)
          }

          /** Synchronous, called from kafkajs's event emitter before it fetches for the new generation. */
          const onJoin = (next: Set<string>) => {
            for (const key of state.kafkaAssignment) if (!next.has(key)) state.lost.add(key)
            state.kafkaAssignment = next
            state.joinCount += 1
            if (Deferred.isDoneUnsafe(state.gate)) state.gate = Deferred.makeUnsafe<void>()
            wake()
          }

          const consumer = client.consumer({
            groupId,
            sessionTimeout: sessionTimeoutMs,
            rebalanceTimeout: options.rebalanceTimeoutMs ?? 60_000,
            heartbeatInterval: heartbeatIntervalMs,
            maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
            ...(options.maxBytesPerPartition === undefined
              ? {}
              : { maxBytesPerPartition: options.maxBytesPerPartition })
          })
          consumer.on(consumer.events.GROUP_JOIN, (event) => onJoin(keysOf(event.payload.memberAssignment)))
          consumer.on(consumer.events.CRASH, (event) => {
            // kafkajs has already left the group: whatever we held is gone.
            onJoin(new Set())
            if (!event.payload.restart) {
              state.failure = new BrokerUnavailable({
                message: `consumer group ${groupId} crashed: ${event.payload.error.message}`,
                cause: event.payload.error
              })
            }
          })

          /** Run `effect` while keeping the group session alive; stop early if a heartbeat fails (rebalance). */
          const withHeartbeat = <A>(
            payload: EachBatchPayload,
            effect: Effect.Effect<A>
          ): Effect.Effect<HeartbeatResult<A>> => {
            const beat = Effect.sleep(heartbeatIntervalMs / 2).pipe(
              Effect.andThen(Effect.tryPromise(() => payload.heartbeat())),
              Effect.forever
            )
            return Effect.raceFirst(
              effect.pipe(Effect.map((value): HeartbeatResult<A> => ({ _tag: "Done", value }))),
              beat.pipe(Effect.catch((e) => Effect.succeed<HeartbeatResult<A>>({ _tag: "Failed", error: e.cause })))
            )
          }

          /** kafkajs side. Returns an error for kafkajs to see (it rejoins on rebalance errors). */
          const handleBatch = Effect.fnUntraced(function* (payload: EachBatchPayload) {
            const { batch } = payload
            // Wait until the processor has run its callbacks for the current assignment.
            while (!state.stopping && !Deferred.isDoneUnsafe(state.gate)) {
              const waited = yield* withHeartbeat(payload, Deferred.await(state.gate))
              if (waited._tag === "Failed") return { error: waited.error }
            }
            // Stale: fetched before a seek that the callbacks just issued; kafkajs re-fetches.
            if (state.stopping || !payload.isRunning() || payload.isStale() || batch.isEmpty()) return undefined
            const item: BatchItem = {
              _tag: "Batch",
              join: state.joinCount,
              raw: batch,
              state: "pending",
              done: Deferred.makeUnsafe<Outcome>()
            }
            state.pendingItems.add(item)
            const result = yield* withHeartbeat(
              payload,
              Queue.offer(queue, item).pipe(Effect.andThen(Deferred.await(item.done)))
            )
            state.pendingItems.delete(item)
            if (item.state === "pending") item.state = "cancelled"
            // Taken by the stream: kafkajs continues after it (the stream knows its position too).
            if (item.state === "taken") payload.resolveOffset(batch.lastOffset())
            return result._tag === "Failed" ? { error: result.error } : undefined
          })

          /** Stream side: run the callbacks for the latest assignment, then issue seeks and open the gate. */
          const applyRebalance = Effect.gen(function* () {
            state.rebalancePending = false
            const join = state.joinCount
            const diff = diffAssignment(state.held, state.kafkaAssignment, state.lost)
            state.lost = new Set()
            if (diff.revoked.length > 0) {
              for (const key of diff.revoked) {
                state.held.delete(key)
                state.position.delete(key)
                // Another member reports this partition's lag now.
                yield* Metric.update(lagOf(key), 0)
              }
              yield* onRevoked(diff.revoked.map(parsePartitionKey))
            }
            if (diff.assigned.length > 0) {
              const offsets = yield* onAssigned(diff.assigned.map(parsePartitionKey))
              for (const key of diff.assigned) {
                state.held.add(key)
                const offset = offsets.get(key)
                if (offset !== undefined) state.position.set(key, offset)
              }
            }
            if (diff.revoked.length > 0 || diff.assigned.length > 0) {
              yield* Effect.logDebug("consumer assignment changed").pipe(
                Effect.annotateLogs({
                  groupId,
                  revoked: diff.revoked.join(","),
                  assigned: diff.assigned.join(","),
                  held: [...state.held].sort().join(",")
                })
              )
            }
            state.appliedJoin = join
            // A newer join arrived while the callbacks ran: its own pass will seek and open the gate.
            if (join !== state.joinCount) return
            for (const key of state.held) {
              const offset = state.position.get(key)
              if (offset === undefined) continue
              const { topic, partition } = parsePartitionKey(key)
              yield* Effect.try(() => consumer.seek({ topic, partition, offset: offset.toString() })).pipe(
                Effect.catch((error) => Effect.logWarning(`seek ${key} to ${offset} failed: ${String(error.cause)}`))
              )
            }
            Deferred.doneUnsafe(state.gate, Exit.void)
          })

          /** Stream side: accept a batch if it belongs to what the processor holds now. */
          const takeBatch = Effect.fnUntraced(function* (item: BatchItem) {
            state.pendingItems.delete(item)
            if (item.state !== "pending") return undefined
            const { raw } = item
            const key = partitionKey(raw)
            if (state.stopping || item.join !== state.appliedJoin || !state.held.has(key)) {
              item.state = "dropped"
              Deferred.doneUnsafe(item.done, Exit.succeed<Outcome>("dropped"))
              return undefined
            }
            item.state = "taken"
            Deferred.doneUnsafe(item.done, Exit.succeed<Outcome>("taken"))
            const from = state.position.get(key)
            // Belt and braces against re-delivery: never hand out offsets below the known position.
            const messages = raw.messages
              .map(toConsumedMessage)
              .filter((message) => from === undefined || message.offset >= from)
            const lastOffset = BigInt(raw.lastOffset())
            const highWatermark = BigInt(raw.highWatermark)
            state.position.set(key, lastOffset + 1n)
            yield* Metric.update(lagOf(key), Number(highWatermark - lastOffset - 1n))
            const first = messages[0]
            const last = messages[messages.length - 1]
            if (first === undefined || last === undefined) return undefined
            yield* Metric.update(batchesConsumed, 1)
            return {
              topic: raw.topic,
              partition: raw.partition,
              firstOffset: first.offset,
              lastOffset: last.offset,
              highWatermark,
              messages
            } satisfies RecordBatch
          })

          /** An item taken while grouping that must wait for a rebalance: the next call judges it first. */
          let carried: Item | undefined
          const next: Effect.Effect<RecordBatch, E | BrokerUnavailable, R> = Effect.gen(function* () {
            while (true) {
              if (state.failure !== undefined) return yield* state.failure
              if (state.rebalancePending) {
                yield* applyRebalance
                continue
              }
              const item = carried ?? (yield* Queue.take(queue))
              carried = undefined
              if (item._tag === "Wake") continue
              // A join may have happened while we waited; apply it first so the item is judged against it.
              if (state.rebalancePending) yield* applyRebalance
              const batch = yield* takeBatch(item)
              if (batch !== undefined) return batch
            }
          })

          const stop = Effect.gen(function* () {
            state.stopping = true
            for (const item of state.pendingItems) {
              if (item.state === "pending") {
                item.state = "dropped"
                Deferred.doneUnsafe(item.done, Exit.succeed<Outcome>("dropped"))
              }
            }
            Deferred.doneUnsafe(state.gate, Exit.void)
            // Still a member here, so onRevoked may commit.
            if (state.held.size > 0) {
              yield* onRevoked([...state.held].sort().map(parsePartitionKey)).pipe(
                Effect.catchCause((cause) => Effect.logWarning("onRevoked failed while stopping", cause))
              )
            }
            for (const key of state.held) yield* Metric.update(lagOf(key), 0)
            state.held.clear()
            current = undefined
            yield* Effect.tryPromise(() => consumer.disconnect()).pipe(
              Effect.timeout("15 seconds"),
              Effect.catchCause((cause) => Effect.logWarning(`consumer ${groupId} did not disconnect cleanly`, cause))
            )
          })

          yield* Effect.acquireRelease(
            Effect.tryPromise({
              try: () => consumer.connect(),
              catch: (cause) => new BrokerUnavailable({ message: `consumer ${groupId} could not connect`, cause })
            }),
            () => stop
          )
          current = { consumer, state }
          yield* Effect.tryPromise({
            try: async () => {
              await consumer.subscribe({ topics: [...options.topics], fromBeginning: options.fromBeginning ?? true })
              await consumer.run({
                autoCommit: false,
                eachBatchAutoResolve: false,
                partitionsConsumedConcurrently: 1,
                eachBatch: async (payload) => {
                  const failed = await runPromise(handleBatch(payload))
                  if (failed !== undefined) throw failed.error
                }
              })
            },
            catch: (cause) => new BrokerUnavailable({ message: `consumer ${groupId} could not start`, cause })
          })
          const nextGroup: Effect.Effect<ReadonlyArray<RecordBatch>, E | BrokerUnavailable, R> = Effect.gen(
            function* () {
              const group = [yield* next]
              while (group.length < max && state.failure === undefined && !state.rebalancePending) {
                const taken = yield* Queue.take(queue).pipe(Effect.timeoutOption(lingerMs))
                if (Option.isNone(taken)) break
                const item = taken.value
                if (item._tag === "Wake") continue
                if (state.rebalancePending) {
                  carried = item
                  break
                }
                const batch = yield* takeBatch(item)
                if (batch !== undefined) group.push(batch)
              }
              return group
            }
          )
          return Stream.fromEffectRepeat(nextGroup)
        })
      )

    const batches = open(0, 1).pipe(Stream.flattenIterable)
    const batchGroups = (lingerMs: number, max: number) => open(lingerMs, Math.max(1, max))

    const commit = Effect.fn("EventConsumer.commit")(function* (topic: string, partition: number, nextOffset: bigint) {
      const run = current
      if (run === undefined) {
        return yield* new CommitFailed({ message: `consumer ${groupId} is not running`, topic, partition })
      }
      if (!run.state.held.has(partitionKey({ topic, partition }))) {
        return yield* new CommitFailed({
          message: `${topic}:${partition} is not assigned to this member`,
          topic,
          partition
        })
      }
      yield* Effect.tryPromise({
        try: () => run.consumer.commitOffsets([{ topic, partition, offset: nextOffset.toString() }]),
        catch: (cause) =>
          new CommitFailed({
            message: `commit ${topic}:${partition}@${nextOffset} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
            topic,
            partition,
            cause
          })
      })
    })

    const assignment = Effect.sync(() => [...(current?.state.held ?? [])].sort().map(parsePartitionKey))

    return { batches, batchGroups, commit, assignment }
  }

  return EventConsumer.of({ group })
})

export class EventConsumer extends Context.Service<EventConsumer, EventConsumerShape>()(
  "launchpad/kafka/EventConsumer"
) {
  /** Needs `Kafka`, `Topics` (a group subscribes once the topics exist) and `Settings`. */
  static readonly layer = Layer.effect(EventConsumer, make)
}
