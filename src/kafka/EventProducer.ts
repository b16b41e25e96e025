/**
 * The idempotent, batching producer behind ingest.
 *
 * Concurrent `publish` calls are collected for a short linger (or until a record budget fills) and
 * sent as one kafkajs `sendBatch`, so N concurrent HTTP requests cost one produce round trip; two
 * kafkajs producers take turns, so one batch is sent while the other waits for its acknowledgement. Every
 * `publish` resolves only when the broker has acknowledged its records with acks = all, which is what
 * lets ingest answer 2xx (guarantee 1 of the design).
 *
 * Memory is bounded: records accepted but not yet acknowledged are counted, and once that count
 * would exceed the buffer, `publish` fails at once with `ProducerSaturated` (ingest answers 503 and
 * the SDK retries later) instead of queueing without limit.
 */
import {
  Cause,
  Clock,
  Context,
  Deferred,
  Effect,
  Exit,
  Fiber,
  Layer,
  Metric,
  Option,
  Pull,
  Queue,
  Schedule,
  Schema
} from "effect"
import {
  type Message,
  type PartitionerArgs,
  Partitioners,
  type Producer,
  type RecordMetadata,
  type RetryOptions
} from "kafkajs"
import { labelled } from "../domain/MetricLabels.ts"
import { Settings } from "../domain/Settings.ts"
import { BrokerUnavailable, Kafka, untilBrokerAvailable } from "./Kafka.ts"
import { probeBroker, Topics } from "./Topics.ts"

/** The pending buffer is full; retry later (HTTP 503). */
export class ProducerSaturated extends Schema.TaggedError<ProducerSaturated>()("ProducerSaturated", {
  message: Schema.String,
  pendingRecords: Schema.Number,
  maxPendingRecords: Schema.Number
}) {}

/** The broker refused the records themselves (too large, invalid topic); retrying will not help. */
export class ProduceRejected extends Schema.TaggedError<ProduceRejected>()("ProduceRejected", {
  message: Schema.String,
  reason: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

export type PublishError = ProducerSaturated | BrokerUnavailable | ProduceRejected

export interface ProducerRecord {
  /** Partitioning key (murmur2, as Java clients); `null` spreads records round-robin. */
  readonly key: string | null
  readonly value: string | Uint8Array
  readonly headers?: Readonly<Record<string, string>>
}

/** Where an acknowledged record landed. */
export interface RecordAck {
  readonly topic: string
  readonly partition: number
  readonly offset: bigint
}

export interface EventProducerOptions {
  /** How long the first request of a batch waits for company. */
  readonly lingerMs?: number
  /** A batch is sent as soon as it holds this many records (requests are never split). */
  readonly maxBatchRecords?: number
  /** Records accepted but not yet acknowledged; beyond this `publish` fails with `ProducerSaturated`. */
  readonly maxPendingRecords?: number
  /** Re-sends of a failed batch (with exponential backoff) before `BrokerUnavailable`. */
  readonly sendRetries?: number
  readonly retryBaseDelayMs?: number
  /** kafkajs's retry inside one send; kept small so the total time to `BrokerUnavailable` is bounded. */
  readonly kafkaRetry?: RetryOptions
  /** Broker-side time limit for the produce request (acks = all). */
  readonly ackTimeoutMs?: number
  /**
   * Our limit for one send attempt, kafkajs's internal retries included; a hung broker then costs
   * at most (sendRetries + 1) × sendTimeoutMs before `BrokerUnavailable`.
   */
  readonly sendTimeoutMs?: number
  /** kafkajs producers taking turns (each has one request in flight); see `sender`. */
  readonly senders?: number
}

export interface EventProducerShape {
  /**
   * Send records to `topic`; succeeds once the broker has acknowledged all of them, with their
   * partition and offset in input order. An empty array succeeds at once with no acks.
   */
  readonly publish: (
    topic: string,
    records: ReadonlyArray<ProducerRecord>
  ) => Effect.Effect<ReadonlyArray<RecordAck>, PublishError>
  /** Records accepted and not yet acknowledged (for readiness checks). */
  readonly pendingRecords: Effect.Effect<number>
  /** False while the broker is known to be unreachable: `publish` then fails at once. */
  readonly available: Effect.Effect<boolean>
}

// ---------------------------------------------------------------------------------------------
// Metrics

const produceLatency = Metric.histogram("launchpad_kafka_produce_latency_ms", {
  description: "time from publish to broker acknowledgement",
  boundaries: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000]
})
const recordsProduced = Metric.counter("launchpad_kafka_records_produced_total", {
  description: "records acknowledged by the broker",
  incremental: true
})
const produceErrors = Metric.counter("launchpad_kafka_produce_errors_total", {
  description: "failed publish calls by error tag",
  incremental: true
})
const batchesSent = Metric.counter("launchpad_kafka_produce_batches_total", {
  description: "sendBatch calls (one per linger window), to see how well publishes batch",
  incremental: true
})
const inFlightRecords = Metric.gauge("launchpad_kafka_producer_in_flight_records", {
  description: "records accepted by publish and not yet acknowledged"
})

const producedCounters = labelled(recordsProduced)
const errorCounters = labelled(produceErrors)

/** Exported for dashboards and tests. */
export const ProducerMetrics = { produceLatency, recordsProduced, produceErrors, batchesSent, inFlightRecords } as const

// ---------------------------------------------------------------------------------------------
// Pure helpers (unit-tested)

interface Pending {
  readonly topic: string
  readonly messages: ReadonlyArray<Message>
  readonly deferred: Deferred.Deferred<ReadonlyArray<RecordAck>, BrokerUnavailable | ProduceRejected>
}

/** kafkajs wants Buffers; a Uint8Array view is wrapped without copying. */
export const toMessage = (record: ProducerRecord): Message => {
  const value =
    typeof record.value === "string"
      ? record.value
      : Buffer.from(record.value.buffer, record.value.byteOffset, record.value.byteLength)
  return record.headers === undefined
    ? { key: record.key, value }
    : { key: record.key, value, headers: { ...record.headers } }
}

/** One topicMessages entry per topic, preserving request order within each topic. */
export const mergeByTopic = (
  requests: ReadonlyArray<{ readonly topic: string; readonly messages: ReadonlyArray<Message> }>
): Array<{ topic: string; messages: Array<Message> }> => {
  const byTopic = new Map<string, Array<Message>>()
  for (const request of requests) {
    const list = byTopic.get(request.topic)
    if (list === undefined) byTopic.set(request.topic, [...request.messages])
    else list.push(...request.messages)
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }))
}

/**
 * Per-message offsets from a sendBatch response: kafkajs appends each partition's messages in
 * request order, so the i-th message sent to a partition sits at that partition's baseOffset + i.
 */
export const assignOffsets = (
  topicMessages: ReadonlyArray<{ readonly topic: string; readonly messages: ReadonlyArray<Message> }>,
  partitionOf: (message: Message) => number | undefined,
  response: ReadonlyArray<Pick<RecordMetadata, "topicName" | "partition" | "baseOffset">>
): Map<Message, RecordAck> => {
  const base = new Map<string, bigint>()
  for (const r of response)
    if (r.baseOffset !== undefined) base.set(`${r.topicName}:${r.partition}`, BigInt(r.baseOffset))
  const acks = new Map<Message, RecordAck>()
  const seen = new Map<string, bigint>()
  for (const { topic, messages } of topicMessages) {
    for (const message of messages) {
      const partition = partitionOf(message)
      if (partition === undefined) continue
      const key = `${topic}:${partition}`
      const first = base.get(key)
      if (first === undefined) continue
      const index = seen.get(key) ?? 0n
      seen.set(key, index + 1n)
      acks.set(message, { topic, partition, offset: first + index })
    }
  }
  return acks
}

/** The kafkajs error `type`s (e.g. MESSAGE_TOO_LARGE) anywhere in the cause chain. */
const errorTypes = (error: unknown): ReadonlyArray<string> => {
  const types: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 8 && typeof current === "object" && current !== null; depth++) {
    if ("type" in current && typeof current.type === "string") types.push(current.type)
    current = "cause" in current ? current.cause : undefined
  }
  return types
}

/** Broker answers about the records themselves: no amount of retrying fixes these. */
const rejectionTypes = new Set([
  "MESSAGE_TOO_LARGE",
  "RECORD_LIST_TOO_LARGE",
  "INVALID_RECORD",
  "CORRUPT_MESSAGE",
  "INVALID_TOPIC_EXCEPTION",
  "TOPIC_AUTHORIZATION_FAILED",
  "INVALID_REQUIRED_ACKS"
])

export const classifySendError = (error: unknown): BrokerUnavailable | ProduceRejected => {
  const message = error instanceof Error ? error.message : String(error)
  const rejection = errorTypes(error).find((type) => rejectionTypes.has(type))
  return rejection !== undefined
    ? new ProduceRejected({ message: `broker rejected records: ${message}`, reason: rejection, cause: error })
    : new BrokerUnavailable({ message: `produce failed: ${message}`, cause: error })
}

// ---------------------------------------------------------------------------------------------

const make = Effect.fnUntraced(function* (options: EventProducerOptions) {
  const kafka = yield* Kafka
  const { client, brokers } = kafka
  const settings = yield* Settings
  const topics = yield* Topics
  const lingerMs = options.lingerMs ?? 5
  const maxBatchRecords = options.maxBatchRecords ?? 1_000
  const maxPendingRecords = options.maxPendingRecords ?? settings.producerBufferRecords
  const sendRetries = options.sendRetries ?? 2
  const retryBaseDelayMs = options.retryBaseDelayMs ?? 200
  const ackTimeoutMs = options.ackTimeoutMs ?? 10_000
  const sendTimeoutMs = options.sendTimeoutMs ?? 10_000
  const senders = options.senders ?? 2

  const makeProducer = () =>
    client.producer({
      idempotent: true,
      // kafkajs requires a single in-flight request per broker for idempotence to keep order.
      maxInFlightRequests: 1,
      // Bounded (kafkajs's idempotent default is unbounded); the broker dedups re-sends by sequence.
      retry: options.kafkaRetry ?? { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
      // Explicitly the murmur2 partitioner (the kafkajs 2.x default) so keys map as in Java clients.
      createPartitioner: () => {
        const partitioner = Partitioners.DefaultPartitioner()
        return (args: PartitionerArgs) => {
          const partition = partitioner(args)
          // Recorded on the message itself (our own object, built by `toMessage`) so offsets can be handed
          // back per record: a WeakMap entry per record cost about as much as the partitioner. The
          // partitioner returns a message's `partition` when set, so a re-send keeps its partition.
          args.message.partition = partition
          return partition
        }
      }
    })

  const connect = (producer: Producer) =>
    Effect.tryPromise({
      try: () => producer.connect(),
      catch: (cause) => new BrokerUnavailable({ message: "producer could not connect", cause })
    })

  // Bounded by maxPendingRecords (every request holds at least one record), never by memory.
  const queue = yield* Queue.bounded<Pending, Cause.Done>(maxPendingRecords)
  let pending = 0
  let closed = false
  /**
   * Whether the broker is believed reachable. False until the producers first connect, and from a
   * failed send until a probe reaches the broker again: meanwhile `publish` fails at once instead of
   * making every request wait out the send retries (~5 s) for the same 503.
   */
  let available = false
  let probing = false

  /**
   * Answer one request and free its share of the buffer, in one synchronous step: a request is
   * released exactly once, whoever answers it (sender, defect handler or shutdown).
   */
  const answer = (p: Pending, exit: Exit.Exit<ReadonlyArray<RecordAck>, BrokerUnavailable | ProduceRejected>) => {
    if (Deferred.isDoneUnsafe(p.deferred)) return
    pending -= p.messages.length
    Deferred.doneUnsafe(p.deferred, exit)
  }
  const reportPending = Effect.suspend(() => Metric.update(inFlightRecords, pending))

  /**
   * One sender: a kafkajs producer and the loop that feeds it batches from the shared queue. kafkajs
   * keeps one request in flight per idempotent producer (its sequence numbers allow no more), so
   * `senders` of them take turns: while one waits for its acknowledgement the next batch is already
   * on its way. Records of one partition may then land in another order than they were accepted, which
   * nothing relies on (the stream orders by event time).
   */
  const sender = (producer: Producer) => {
    // The batch being sent, so a shutdown that gives up on it can still answer its callers.
    let sending: ReadonlyArray<Pending> = []

    // A timed-out attempt keeps running inside kafkajs; if it lands after all, the retry duplicates
    // it, which downstream dedup by event_id absorbs (the design's guarantee 3).
    const sendOnce = (topicMessages: Array<{ topic: string; messages: Array<Message> }>) =>
      Effect.tryPromise({
        try: () => producer.sendBatch({ topicMessages, acks: -1, timeout: ackTimeoutMs }),
        catch: classifySendError
      }).pipe(
        Effect.timeoutOption(sendTimeoutMs),
        Effect.flatMap(
          Option.match({
            onNone: () =>
              Effect.fail(new BrokerUnavailable({ message: `no acknowledgement within ${sendTimeoutMs} ms` })),
            onSome: Effect.succeed
          })
        )
      )

    const sendBatch = Effect.fn("EventProducer.sendBatch")(function* (batch: ReadonlyArray<Pending>) {
      const topicMessages = mergeByTopic(batch)
      const count = batch.reduce((n, p) => n + p.messages.length, 0)
      yield* Effect.annotateCurrentSpan({ requests: batch.length, records: count })
      yield* Metric.update(batchesSent, 1)
      const exit = yield* Effect.exit(
        sendOnce(topicMessages).pipe(
          Effect.retry({
            schedule: Schedule.exponential(retryBaseDelayMs),
            times: sendRetries,
            while: (error) => error._tag === "BrokerUnavailable"
          })
        )
      )
      if (Exit.isFailure(exit)) {
        const error = Cause.squash(exit.cause)
        const failure =
          error instanceof BrokerUnavailable || error instanceof ProduceRejected
            ? error
            : new BrokerUnavailable({ message: "produce failed", cause: error })
        yield* Effect.logWarning(`produce of ${count} records failed: ${failure.message}`)
        for (const p of batch) answer(p, Exit.fail(failure))
        if (failure._tag === "BrokerUnavailable") yield* markUnavailable
        return yield* reportPending
      }
      const acks = assignOffsets(topicMessages, (m) => m.partition, exit.value)
      for (const p of batch) {
        const result: Array<RecordAck> = []
        for (const m of p.messages) {
          const ack = acks.get(m)
          if (ack !== undefined) result.push(ack)
        }
        answer(
          p,
          result.length === p.messages.length
            ? Exit.succeed(result)
            : // Should not happen: kafkajs answered without an offset for one of our partitions.
              Exit.fail(new BrokerUnavailable({ message: "broker acknowledged without offsets for some records" }))
        )
      }
      yield* reportPending
    })

    /** Take one request, then keep collecting until the linger ends or the batch is full. */
    const collect = Effect.gen(function* () {
      const first = yield* Queue.take(queue)
      const batch: Array<Pending> = [first]
      // Visible to shutdown from the first take on, so no accepted request can be stranded.
      sending = batch
      let records = first.messages.length
      const deadline = (yield* Clock.currentTimeMillis) + lingerMs
      while (records < maxBatchRecords) {
        // What is already queued (requests that arrived while the previous batch was being sent) is taken
        // without a timer: a timed take forks a race per request, which under load cost more than the send.
        const queued = Queue.takeUnsafe(queue)
        if (queued !== undefined) {
          // A failure is the queue ending (shutdown): the batch so far is still sent.
          if (Exit.isFailure(queued)) break
          batch.push(queued.value)
          records += queued.value.messages.length
          continue
        }
        const remaining = deadline - (yield* Clock.currentTimeMillis)
        if (remaining <= 0) break
        // The queue ending (shutdown) during the linger only ends the batch; it is still sent.
        const next = yield* Queue.take(queue).pipe(
          Effect.timeoutOption(remaining),
          Effect.catchCause((cause) =>
            Pull.isDoneCause(cause) ? Effect.succeed(Option.none<Pending>()) : Effect.failCause(cause)
          )
        )
        if (Option.isNone(next)) break
        batch.push(next.value)
        records += next.value.messages.length
      }
      return batch
    })

    /** A defect while sending must not strand callers: answer the batch and keep the loop alive. */
    const failSending = (cause: Cause.Cause<unknown>) =>
      Effect.gen(function* () {
        yield* Effect.logError("producer send loop failed; failing the batch", cause)
        const failure = new BrokerUnavailable({ message: "producer failed", cause: Cause.squash(cause) })
        for (const p of sending) answer(p, Exit.fail(failure))
        yield* reportPending
      })

    const step = collect.pipe(
      Effect.flatMap(sendBatch),
      Effect.catchCause((cause) =>
        Cause.hasInterrupts(cause) || Pull.isDoneCause(cause) ? Effect.failCause(cause) : failSending(cause)
      )
    )
    // Done from the ended queue stops the loop once every accepted request has been sent.
    const loop = step.pipe(
      Effect.forever,
      Effect.catchCause((cause) => (Pull.isDoneCause(cause) ? Effect.void : Effect.failCause(cause)))
    )
    return { loop, sending: () => sending }
  }

  const producers = Array.from({ length: senders }, makeProducer)
  yield* Effect.addFinalizer(() =>
    Effect.forEach(producers, (producer) =>
      Effect.promise(() => producer.disconnect()).pipe(Effect.timeout("5 seconds"), Effect.ignore)
    )
  )
  const connectAll = Effect.forEach(producers, connect, { discard: true })

  // Probes the broker with backoff (at most a second apart) until it answers; then publishing resumes.
  const markUnavailable: Effect.Effect<void> = Effect.suspend(() => {
    available = false
    if (probing || closed) return Effect.void
    probing = true
    return untilBrokerAvailable("reaching the broker after a failed produce", brokers, probeBroker, {
      maxDelay: "1 second"
    }).pipe(
      Effect.provideService(Kafka, kafka),
      Effect.ensuring(
        Effect.sync(() => {
          probing = false
          available = true
        })
      ),
      Effect.forkIn(scope),
      Effect.asVoid
    )
  })

  const scope = yield* Effect.scope
  // One attempt now, so that a producer whose broker is up is ready when the layer is; otherwise the
  // role starts anyway and the producers connect in the background once the topics exist.
  const first = (yield* topics.isReady) ? yield* Effect.result(connectAll) : undefined
  if (first?._tag === "Success") {
    available = true
  } else {
    yield* Effect.logWarning(
      `producer: Kafka at ${brokers.join(",")} is not available yet; publishing fails with 503 until it is`
    )
    yield* topics.ready.pipe(
      Effect.andThen(untilBrokerAvailable("connecting the producer", brokers, connectAll)),
      Effect.andThen(Effect.sync(() => (available = true))),
      Effect.forkScoped
    )
  }

  const loops: Array<{ readonly fiber: Fiber.Fiber<void, unknown>; readonly sending: () => ReadonlyArray<Pending> }> =
    []
  for (const producer of producers) {
    const { loop, sending } = sender(producer)
    loops.push({ fiber: yield* Effect.forkScoped(loop), sending })
  }

  // Runs before the loop fiber is interrupted: flush what was accepted, then stop.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      closed = true
      yield* Queue.end(queue)
      const fibers = loops.map((l) => l.fiber)
      const flushed = yield* Fiber.awaitAll(fibers).pipe(Effect.timeoutOption("10 seconds"))
      if (Option.isNone(flushed)) yield* Effect.logWarning("producer did not flush within 10 s; failing the rest")
      yield* Fiber.interruptAll(fibers)
      const closedError = new BrokerUnavailable({ message: "producer closed" })
      const stranded = [...loops.flatMap((l) => l.sending()), ...(yield* Queue.clear(queue))]
      for (const p of stranded) answer(p, Exit.fail(closedError))
      yield* reportPending
    })
  )

  const context = yield* Effect.context<never>()
  const failed = (error: PublishError) => {
    errorCounters({ error: error._tag }).updateUnsafe(1, context)
    return Effect.fail(error)
  }

  // Runs once per HTTP request, so it is written with few steps and no span: the Effect.fn version
  // (span, call-site capture, one effect per metric) cost more than the queueing itself.
  const publish = (topic: string, records: ReadonlyArray<ProducerRecord>) =>
    Effect.suspend((): Effect.Effect<ReadonlyArray<RecordAck>, PublishError> => {
      if (records.length === 0) return Effect.succeed([])
      const count = records.length
      const start = Date.now()
      // Admission is one synchronous step, so an interruption cannot leave the count inconsistent.
      if (closed) return failed(new BrokerUnavailable({ message: "producer closed" }))
      if (!available) return failed(new BrokerUnavailable({ message: `Kafka at ${brokers.join(",")} is unavailable` }))
      // An oversized single request still goes through when nothing else is pending.
      if (pending > 0 && pending + count > maxPendingRecords) {
        return failed(
          new ProducerSaturated({
            message: `producer buffer full (${pending} of ${maxPendingRecords} records pending)`,
            pendingRecords: pending,
            maxPendingRecords
          })
        )
      }
      const deferred = Deferred.makeUnsafe<ReadonlyArray<RecordAck>, BrokerUnavailable | ProduceRejected>()
      if (!Queue.offerUnsafe(queue, { topic, messages: records.map(toMessage), deferred })) {
        return failed(new BrokerUnavailable({ message: "producer closed" }))
      }
      pending += count
      inFlightRecords.updateUnsafe(pending, context)
      // Once accepted, the records are sent even if this caller goes away; the sender releases the count.
      return Deferred.await(deferred).pipe(
        Effect.matchEffect({
          onFailure: failed,
          onSuccess: (acks) => {
            produceLatency.updateUnsafe(Date.now() - start, context)
            producedCounters({ topic }).updateUnsafe(count, context)
            return Effect.succeed(acks)
          }
        })
      )
    })

  return EventProducer.of({
    publish,
    pendingRecords: Effect.sync(() => pending),
    available: Effect.sync(() => available)
  })
})

export class EventProducer extends Context.Service<EventProducer, EventProducerShape>()(
  "launchpad/kafka/EventProducer"
) {
  /** With tuning (tests use small buffers and fast retries); needs `Kafka` and `Settings`. */
  static readonly layerWith = (options: EventProducerOptions) => Layer.effect(EventProducer, make(options))

  /** Needs `Kafka`, `Topics` (the producers connect once the topics exist) and `Settings`. */
  static readonly layer = EventProducer.layerWith({})
}
