/**
 * The Kafka client: one kafkajs `Kafka` instance per process, pointed at a cluster's brokers or at the
 * embedded broker (the composition root, src/app/Roles.ts, decides which). Producers, consumers and admin clients are created from it by the
 * services next to this file; nothing else in the code base should construct kafkajs objects.
 */
import { Context, Duration, Effect, Layer, Schema } from "effect"
import { Kafka as KafkaJs, type LogEntry, logLevel, type RetryOptions } from "kafkajs"
import { Settings } from "../domain/Settings.ts"
import { EmbeddedBroker } from "./embedded/EmbeddedBroker.ts"

/** Broker could not be reached or kept failing after bounded retries. Ingest maps it to 503. */
export class BrokerUnavailable extends Schema.TaggedError<BrokerUnavailable>()("BrokerUnavailable", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/** First and longest wait between attempts to reach a broker that is not up (yet). */
export const BROKER_BACKOFF = { initial: Duration.millis(250), max: Duration.seconds(10) } as const

/**
 * Runs `attempt` until it succeeds: a role started before its broker (or during an outage) waits with
 * exponential backoff (250 ms doubling up to 10 s) and says so at each failure, instead of exiting.
 */
export const untilBrokerAvailable = <A, R>(
  what: string,
  brokers: ReadonlyArray<string>,
  attempt: Effect.Effect<A, BrokerUnavailable, R>,
  options: { readonly maxDelay?: Duration.Input } = {}
): Effect.Effect<A, never, R> =>
  Effect.gen(function* () {
    const maxDelay = Duration.toMillis(Duration.fromInputUnsafe(options.maxDelay ?? BROKER_BACKOFF.max))
    let delay = Math.min(Duration.toMillis(BROKER_BACKOFF.initial), maxDelay)
    for (let n = 1; ; n++) {
      const result = yield* Effect.result(attempt)
      if (result._tag === "Success") {
        if (n > 1) yield* Effect.logInfo(`Kafka at ${brokers.join(",")} is available: ${what} done (attempt ${n})`)
        return result.success
      }
      yield* Effect.logWarning(
        `waiting for Kafka at ${brokers.join(",")}: ${what} failed (${result.failure.message}); attempt ${n}, next in ${delay} ms`
      )
      yield* Effect.sleep(delay)
      delay = Math.min(delay * 2, maxDelay)
    }
  })

/** Connection-level tuning; the defaults suit a local or LAN cluster. */
export interface KafkaClientOptions {
  readonly connectionTimeoutMs?: number
  readonly requestTimeoutMs?: number
  /** kafkajs's own connection/metadata retry (applies to every producer, consumer and admin). */
  readonly retry?: RetryOptions
}

export interface KafkaShape {
  /** The kafkajs client; create producers/consumers/admins from it. */
  readonly client: KafkaJs
  /** `host:port` bootstrap list actually used (the embedded broker's ephemeral port included). */
  readonly brokers: ReadonlyArray<string>
  readonly clientId: string
  /** True when connected to the in-process embedded broker. */
  readonly embedded: boolean
}

/** About 1 s of reconnect attempts per operation; callers add their own bounded retries on top. */
const defaultRetry: RetryOptions = { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 }

/**
 * kafkajs entries that describe normal operation given how we use it, logged at debug instead:
 * bounded idempotent retries are deliberate (see EventProducer), and every consumer-group rebalance
 * makes kafkajs log the coordinator's REBALANCE_IN_PROGRESS answer as an error.
 */
const isExpected = (entry: LogEntry): boolean => {
  const error: unknown = entry.log.error
  return (
    entry.log.message.startsWith("Limiting retries for the idempotent producer") ||
    entry.log.message.startsWith("The group is rebalancing") ||
    (typeof error === "string" && error.startsWith("The group is rebalancing"))
  )
}

/** Extra fields safe to log: identifiers and counters only, never record keys, values or offsets maps. */
const safeFields = [
  "groupId",
  "memberId",
  "topic",
  "partition",
  "broker",
  "clientId",
  "retryCount",
  "retryTime",
  "error",
  "host",
  "port",
  "nodeId",
  "apiName",
  "correlationId",
  "restart"
] as const

const safeAnnotations = (log: LogEntry["log"]): Record<string, string | number | boolean> => {
  const out: Record<string, string | number | boolean> = {}
  for (const field of safeFields) {
    const value: unknown = log[field]
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") out[field] = value
  }
  return out
}

/**
 * A kafkajs `logCreator` that forwards warn and error entries to Effect's logger (with the current
 * fiber's logger services), so kafkajs never writes to stdout on its own.
 */
export const makeLogCreator =
  (context: Context.Context<never>) =>
  (_level: logLevel) =>
  (entry: LogEntry): void => {
    if (entry.level > logLevel.WARN) return
    const message = `kafkajs ${entry.namespace}: ${entry.log.message}`
    const log = isExpected(entry)
      ? Effect.logDebug(message)
      : entry.level === logLevel.ERROR
        ? Effect.logError(message)
        : Effect.logWarning(message)
    Effect.runForkWith(context)(log.pipe(Effect.annotateLogs(safeAnnotations(entry.log))))
  }

const make = Effect.fnUntraced(function* (
  brokers: ReadonlyArray<string>,
  clientId: string,
  embedded: boolean,
  options: KafkaClientOptions
) {
  const context = yield* Effect.context<never>()
  const client = new KafkaJs({
    clientId,
    brokers: [...brokers],
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 15_000,
    retry: options.retry ?? defaultRetry,
    logLevel: logLevel.WARN,
    logCreator: makeLogCreator(context)
  })
  yield* Effect.logDebug("kafka client ready").pipe(Effect.annotateLogs({ brokers: brokers.join(","), embedded }))
  return Kafka.of({ client, brokers, clientId, embedded })
})

export class Kafka extends Context.Service<Kafka, KafkaShape>()("launchpad/kafka/Kafka") {
  /** A client for an explicit broker list (tests, tools); needs nothing. */
  static readonly layerWith = (
    brokers: ReadonlyArray<string>,
    options: KafkaClientOptions & { readonly clientId?: string } = {}
  ): Layer.Layer<Kafka> => Layer.effect(Kafka, make(brokers, options.clientId ?? "launchpad", false, options))

  /** A client for an already-running embedded broker (the broker's lifetime is the caller's). */
  static readonly layerEmbedded = (
    options: KafkaClientOptions = {}
  ): Layer.Layer<Kafka, never, EmbeddedBroker | Settings> =>
    Layer.effect(
      Kafka,
      Effect.gen(function* () {
        const broker = yield* EmbeddedBroker
        const settings = yield* Settings
        return yield* make(broker.brokers, settings.kafkaClientId, true, options)
      })
    )
}
