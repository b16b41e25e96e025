/**
 * Topic names (the one place they are spelled) and the bootstrap that creates them with their
 * partition counts and retention. Creation is idempotent: a topic that already exists is left as it
 * is (Kafka cannot shrink partitions, and changing retention is an operator's decision), with a
 * warning when its partition count differs from what we would have created. What the topics really
 * have is what counts downstream: `partitionCount` reads it from the cluster, not from the settings.
 */
import { Context, Deferred, Effect, Layer } from "effect"
import type { Admin, RetryOptions } from "kafkajs"
import { Settings } from "../domain/Settings.ts"
import { BrokerUnavailable, Kafka, untilBrokerAvailable } from "./Kafka.ts"

export const TopicNames = {
  /** Valid events, key = `user_id`. */
  eventsRaw: "events_raw",
  /** Rejected input with a reason code and the raw payload; replayable. */
  eventsDeadletter: "events_deadletter",
  /** Per-minute window updates from the stream processor, key = minute. */
  kpiMinute: "kpi_minute"
} as const

/** Consumer groups named by the design (lag dashboards and `kafka-consumer-groups` rely on them). */
export const ConsumerGroupIds = {
  /** The stream processor reading events_raw. */
  stream: "launchpad-stream"
} as const

export interface TopicSpec {
  readonly name: string
  readonly numPartitions: number
  readonly configs: Readonly<Record<string, string>>
}

const days = (n: number) => String(n * 24 * 60 * 60 * 1000)

/** What Launchpad needs; `partitions` only applies to events_raw (it bounds stream parallelism). */
export const topicSpecs = (partitions: number): ReadonlyArray<TopicSpec> => [
  { name: TopicNames.eventsRaw, numPartitions: partitions, configs: { "retention.ms": days(7) } },
  // One partition keeps dead letters in arrival order for replay.
  { name: TopicNames.eventsDeadletter, numPartitions: 1, configs: { "retention.ms": days(30) } },
  // One partition: the warehouse is a single consumer and wants minutes in order.
  { name: TopicNames.kpiMinute, numPartitions: 1, configs: { "retention.ms": days(7) } }
]

export interface EnsureResult {
  readonly created: ReadonlyArray<string>
  readonly existing: ReadonlyArray<string>
}

const brokerError = (message: string) => (cause: unknown) => new BrokerUnavailable({ message, cause })

/** A short-lived admin client around `use` (admin calls are rare: bootstrap, rebalances). */
const withAdmin = <A, E, R>(
  use: (admin: Admin) => Effect.Effect<A, E, R>,
  config: { readonly retry?: RetryOptions } = {}
) =>
  Effect.gen(function* () {
    const admin = (yield* Kafka).client.admin(config)
    return yield* Effect.acquireUseRelease(
      Effect.tryPromise({ try: () => admin.connect(), catch: brokerError("admin connect failed") }),
      () => use(admin),
      () => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore)
    )
  })

/** One metadata request with no retries: succeeds when a broker answers. */
export const probeBroker: Effect.Effect<void, BrokerUnavailable, Kafka> = withAdmin(
  (admin) =>
    Effect.tryPromise({
      // All topics, not only ours: naming a topic could auto-create it.
      try: () => admin.fetchTopicMetadata(),
      catch: brokerError("metadata request failed")
    }),
  { retry: { retries: 0 } }
).pipe(Effect.asVoid)

/**
 * How many partitions `topic` has on the cluster now. The setting LAUNCHPAD_PARTITIONS only applies
 * when we create the topic; an existing one (another cluster, an operator's `--alter`) may differ.
 */
export const partitionCount = Effect.fn("Topics.partitionCount")(function* (topic: string) {
  return yield* withAdmin((admin) =>
    Effect.tryPromise({
      // All topics, not only this one: naming a missing topic could auto-create it.
      try: () => admin.fetchTopicMetadata(),
      catch: brokerError(`fetching metadata of ${topic} failed`)
    })
  ).pipe(
    Effect.flatMap((metadata) => {
      const count = metadata.topics.find((t) => t.name === topic)?.partitions.length ?? 0
      return count > 0
        ? Effect.succeed(count)
        : Effect.fail(new BrokerUnavailable({ message: `topic ${topic} has no partitions in the metadata` }))
    })
  )
})

/** Create whichever of `specs` are missing; existing topics count as success. */
export const ensureTopics = Effect.fn("Topics.ensure")(function* (specs: ReadonlyArray<TopicSpec>) {
  return yield* withAdmin((admin) =>
    Effect.gen(function* () {
      const metadata = yield* Effect.tryPromise({
        // Asking for all topics (not only ours) so that missing ones are not auto-created here.
        try: () => admin.fetchTopicMetadata(),
        catch: brokerError("fetching topic metadata failed")
      })
      const existing = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]))
      for (const spec of specs) {
        const count = existing.get(spec.name)
        if (count !== undefined && count !== spec.numPartitions) {
          yield* Effect.logWarning(
            `topic ${spec.name} has ${count} partitions, configured ${spec.numPartitions}; leaving it as is`
          )
        }
      }
      const missing = specs.filter((spec) => !existing.has(spec.name))
      if (missing.length > 0) {
        // createTopics resolves false when every topic already exists (a concurrent creator won the race).
        yield* Effect.tryPromise({
          try: () =>
            admin.createTopics({
              waitForLeaders: true,
              topics: missing.map((spec) => ({
                topic: spec.name,
                numPartitions: spec.numPartitions,
                configEntries: Object.entries(spec.configs).map(([name, value]) => ({ name, value }))
              }))
            }),
          catch: brokerError(`creating topics ${missing.map((s) => s.name).join(", ")} failed`)
        })
        yield* Effect.logInfo(`created topics ${missing.map((s) => `${s.name}(${s.numPartitions})`).join(", ")}`)
      }
      return {
        created: missing.map((s) => s.name),
        existing: specs.filter((s) => existing.has(s.name)).map((s) => s.name)
      } satisfies EnsureResult
    })
  )
})

export interface TopicsShape {
  /** The specs the bootstrap ensures. */
  readonly specs: ReadonlyArray<TopicSpec>
  /** Waits until the topics exist, with what the bootstrap found (created now vs already there). */
  readonly ready: Effect.Effect<EnsureResult>
  /** Whether the bootstrap has succeeded, without waiting. */
  readonly isReady: Effect.Effect<boolean>
}

/**
 * Launchpad's topics: the layer makes one attempt at creating them; if Kafka cannot be reached it
 * does not fail (a role may start before its broker) but keeps trying in the background with
 * backoff, logging each attempt. What needs the topics waits on `ready`: producers before their first
 * send and consumers before they subscribe, so nothing is produced into an auto-created topic of the
 * wrong shape.
 */
export class Topics extends Context.Service<Topics, TopicsShape>()("launchpad/kafka/Topics") {
  static readonly layer = Layer.effect(
    Topics,
    Effect.gen(function* () {
      const settings = yield* Settings
      const { brokers } = yield* Kafka
      const specs = topicSpecs(settings.partitions)
      const done = yield* Deferred.make<EnsureResult>()
      const first = yield* Effect.result(ensureTopics(specs))
      if (first._tag === "Success") {
        yield* Deferred.succeed(done, first.success)
      } else {
        yield* Effect.logWarning(
          `Kafka at ${brokers.join(",")} is not available (${first.failure.message}); waiting for it before creating topics`
        )
        yield* untilBrokerAvailable("creating topics", brokers, ensureTopics(specs)).pipe(
          Effect.flatMap((result) => Deferred.succeed(done, result)),
          Effect.forkScoped
        )
      }
      return Topics.of({ specs, ready: Deferred.await(done), isReady: Deferred.isDone(done) })
    })
  )
}
