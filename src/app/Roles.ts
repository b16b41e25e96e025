/**
 * The composition root: which layers each runtime mode runs. Reading this file shows the whole
 * pipeline that exists so far.
 */
import { Effect, Layer } from "effect"
import { Settings } from "../domain/Settings.ts"
import { layerServer } from "../ingest/IngestServer.ts"
import { EventConsumer } from "../kafka/EventConsumer.ts"
import { EventProducer } from "../kafka/EventProducer.ts"
import { EmbeddedBroker } from "../kafka/embedded/EmbeddedBroker.ts"
import { Kafka } from "../kafka/Kafka.ts"
import { Topics } from "../kafka/Topics.ts"
import { DuckDb } from "../lake/DuckDb.ts"
import { EventFileWriter } from "../lake/EventFileWriter.ts"
import { SessionFileWriter } from "../lake/SessionFileWriter.ts"
import { layerServer as layerWarehouseServer, WarehouseServices } from "../models/WarehouseServer.ts"
import { Simulator } from "../sim/Simulator.ts"
import { StreamProcessor } from "../stream/Processor.ts"
import { layerServer as layerLaunchpadServer } from "./LaunchpadServer.ts"
import { layerBrokerOpsServer, layerStreamOpsServer } from "./OpsServer.ts"
import { WebApp } from "./WebApp.ts"

/** Announces what a mode started, so `pnpm dev` says what is running. */
const announce = (mode: string, parts: ReadonlyArray<string>) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const settings = yield* Settings
      yield* Effect.logInfo(`launchpad ${mode}: started ${parts.join(", ")}`).pipe(
        Effect.annotateLogs({ dataDir: settings.dataDir })
      )
    })
  )

/**
 * Every role in one process (`pnpm dev`, `pnpm start`): the embedded broker unless KAFKA_BROKERS is
 * set, topic bootstrap, the ingest and warehouse APIs on one server, the stream processor writing the
 * lake and kpi_minute, the kpi_minute sink into warehouse.duckdb, and optionally demo traffic posted
 * to the ingest API like a browser SDK would. All share one Kafka client and one producer.
 */
const allInOne = (mode: "dev" | "start", demo: boolean) => {
  const parts = [
    "kafka (embedded broker unless KAFKA_BROKERS)",
    "topics",
    "ingest API",
    "stream processor",
    "lake writers",
    "kpi_minute sink",
    "warehouse API",
    mode === "dev" ? "web app (Vite, hot reload)" : "web app (dist/app)",
    ...(demo ? ["demo traffic"] : [])
  ]
  const demoTraffic = demo
    ? Layer.unwrap(
        Effect.gen(function* () {
          const settings = yield* Settings
          return Simulator.layer({
            baseUrl: `http://${settings.host}:${settings.port}`,
            usersPerMinute: settings.demoUsersPerMinute,
            seed: Date.now() % 2_147_483_647
          })
        })
      )
    : Layer.empty
  const webApp = mode === "dev" ? WebApp.layerDev : WebApp.layerBuilt()
  return Layer.mergeAll(
    layerLaunchpadServer().pipe(Layer.provide(webApp)),
    StreamProcessor.layer,
    demoTraffic,
    announce(mode, parts)
  ).pipe(
    Layer.provide(WarehouseServices),
    Layer.provide(
      Layer.mergeAll(
        EventConsumer.layerNoDeps,
        EventProducer.layerNoDeps,
        EventFileWriter.layer,
        SessionFileWriter.layer
      ).pipe(Layer.provide(Topics.layerNoDeps))
    ),
    Layer.provide(DuckDb.layer),
    Layer.provide(Kafka.layerNoDeps),
    Layer.provide(Settings.layer)
  )
}

const dev = allInOne("dev", true)
const start = (options: { readonly demo: boolean }) => allInOne("start", options.demo)

/**
 * The ingest role alone: the HTTP API on HOST:PORT producing to KAFKA_BROKERS (or to an embedded
 * broker it starts). Topics are bootstrapped before the producer, and the producer before the server
 * accepts requests. No linger: the producer keeps one request in flight, so publishes that arrive
 * meanwhile batch by themselves, and a lone request is not held back (with the default 5 ms linger,
 * single-event requests/s in bench/ingest.ts were about a third lower).
 */
const ingest = Layer.mergeAll(layerServer(), announce("ingest", ["kafka", "topics", "producer", "ingest API"])).pipe(
  Layer.provide(EventProducer.layerWith({ lingerMs: 0 }).pipe(Layer.provide(Topics.layerNoDeps))),
  Layer.provide(Kafka.layerNoDeps),
  Layer.provide(Settings.layer)
)

/**
 * The broker role alone (a development stand-in for a Kafka cluster): the embedded broker on
 * BROKER_HOST:BROKER_PORT, with its produce, fetch, log, group and fsync metrics on /metrics and
 * /health/live on BROKER_HOST:BROKER_METRICS_PORT (not PORT: an API usually runs next to it).
 */
const broker = Layer.mergeAll(
  EmbeddedBroker.layer,
  layerBrokerOpsServer,
  announce("broker", ["embedded broker", "/metrics"])
).pipe(Layer.provide(Settings.layer))

/**
 * The stream role alone: the processor in the "launchpad-stream" group, reading events_raw from
 * KAFKA_BROKERS (or an embedded broker it starts), writing the lake and checkpoints under
 * LAUNCHPAD_DATA_DIR and window updates to kpi_minute, with /metrics and /health/live on HOST:PORT.
 * Run N of them to share the partitions (each on its own PORT).
 */
const stream = Layer.mergeAll(
  StreamProcessor.layer,
  layerStreamOpsServer,
  announce("stream", ["kafka", "topics", "consumer", "producer", "lake writers", "stream processor", "/metrics"])
).pipe(
  Layer.provide(
    Layer.mergeAll(EventConsumer.layerNoDeps, EventProducer.layerNoDeps, EventFileWriter.layer, SessionFileWriter.layer)
  ),
  Layer.provide(Layer.mergeAll(DuckDb.layer, Topics.layerNoDeps)),
  Layer.provide(Kafka.layerNoDeps),
  Layer.provide(Settings.layer)
)

/**
 * The warehouse role alone: consumes kpi_minute into LAUNCHPAD_DATA_DIR/warehouse.duckdb (group
 * "launchpad-warehouse") and serves the KPI and live API on HOST:PORT. One instance: DuckDB allows
 * one writer per file.
 */
const serve = Layer.mergeAll(
  layerWarehouseServer(),
  announce("serve", ["kafka", "topics", "consumer", "warehouse", "kpi_minute sink", "warehouse API"])
).pipe(
  Layer.provide(WarehouseServices),
  Layer.provide(EventConsumer.layerNoDeps.pipe(Layer.provide(Topics.layerNoDeps))),
  Layer.provide(Kafka.layerNoDeps),
  Layer.provide(Settings.layer)
)

export const Roles = { dev, start, broker, ingest, stream, serve } as const
