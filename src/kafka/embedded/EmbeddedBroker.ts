/**
 * The embedded single-node Kafka broker as an Effect service. Acquiring the layer recovers the
 * log under `<dataDir>/broker/`, binds the port (0 = ephemeral) and starts the retention timer;
 * releasing it closes the sockets, then waits for the last fdatasync and closes the files.
 */
import * as path from "node:path"
import { Context, Effect, Layer, Schedule, Schema } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { Broker } from "./Broker.ts"
import { GroupCoordinator } from "./GroupCoordinator.ts"
import { TopicStore } from "./log/TopicStore.ts"
import { BrokerMetrics } from "./Metrics.ts"
import { listen } from "./Server.ts"

export class BrokerStartError extends Schema.TaggedError<BrokerStartError>()("BrokerStartError", {
  message: Schema.String,
  cause: Schema.Defect()
}) {}

export interface EmbeddedBrokerInfo {
  /** The advertised host (what clients connect to). */
  readonly host: string
  /** The bound port (the real one when BROKER_PORT is 0). */
  readonly port: number
  /** Bootstrap list for Kafka clients: `host:port`. */
  readonly brokers: ReadonlyArray<string>
}

const NODE_ID = 0
const CLUSTER_ID = "launchpad-embedded"
/** Recent batches kept in memory per partition so consumers near the head never touch the disk. */
const TAIL_CACHE_BYTES = 4 * 1024 * 1024
const RETENTION_CHECK = "1 minute"

/** Clients cannot connect to a wildcard address; advertise loopback instead. */
const advertisedHost = (bindHost: string): string =>
  bindHost === "0.0.0.0" || bindHost === "::" || bindHost === "" ? "127.0.0.1" : bindHost

const make = Effect.gen(function* () {
  const settings = yield* Settings
  const coordinator = yield* GroupCoordinator
  const context = yield* Effect.context<never>()
  const metrics = yield* BrokerMetrics.make
  const runEffect = Effect.runPromiseWith(context)
  const brokerDir = path.join(settings.dataDir, "broker")

  const store = yield* Effect.acquireRelease(
    Effect.try({
      try: () =>
        new TopicStore(brokerDir, {
          segmentBytes: settings.brokerSegmentBytes,
          tailCacheBytes: TAIL_CACHE_BYTES,
          onSync: (seconds) => metrics.fsync(seconds)
        }),
      catch: (cause) => new BrokerStartError({ message: `cannot open the broker log in ${brokerDir}`, cause })
    }),
    (store) => Effect.promise(() => store.close())
  )

  const host = advertisedHost(settings.brokerHost)
  const broker = new Broker(
    store,
    coordinator,
    runEffect,
    metrics,
    {
      nodeId: NODE_ID,
      clusterId: CLUSTER_ID,
      autoCreateTopics: settings.autoCreateTopics,
      defaultPartitions: settings.partitions
    },
    { nodeId: NODE_ID, host, port: settings.brokerPort }
  )
  const onError = (message: string) => Effect.runFork(Effect.logWarning(message).pipe(Effect.provide(context)))

  const server = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => listen(broker, settings.brokerHost, settings.brokerPort, settings.brokerMaxRequestBytes, onError),
      catch: (cause) =>
        new BrokerStartError({ message: `cannot listen on ${settings.brokerHost}:${settings.brokerPort}`, cause })
    }),
    (server) => Effect.promise(() => server.close())
  )
  broker.node = { nodeId: NODE_ID, host, port: server.port }

  yield* Effect.sync(() =>
    broker.applyRetention(Date.now(), settings.brokerRetentionMs, settings.brokerRetentionBytes)
  ).pipe(
    Effect.tap((deleted) =>
      deleted > 0 ? Effect.logInfo(`broker retention deleted ${deleted} segments`) : Effect.void
    ),
    Effect.repeat(Schedule.spaced(RETENTION_CHECK)),
    Effect.forkScoped
  )

  yield* Effect.logInfo(`embedded Kafka broker listening on ${host}:${server.port}`).pipe(
    Effect.annotateLogs({ dataDir: brokerDir, topics: store.topics.size })
  )
  return EmbeddedBroker.of({ host, port: server.port, brokers: [`${host}:${server.port}`] })
})

export class EmbeddedBroker extends Context.Service<EmbeddedBroker, EmbeddedBrokerInfo>()(
  "launchpad/kafka/embedded/EmbeddedBroker"
) {
  /** The broker with its group coordinator; needs only `Settings`. */
  static readonly layer: Layer.Layer<EmbeddedBroker, BrokerStartError, Settings> = Layer.effect(
    EmbeddedBroker,
    make
  ).pipe(Layer.provide(GroupCoordinator.layer))
}
