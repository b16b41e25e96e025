/**
 * The composition root: the pipeline as layers, in the order data flows through them, and the roles
 * as the stages each one runs. Reading top to bottom:
 *
 *   platform   settings → Kafka (the embedded broker, or the cluster in KAFKA_BROKERS) → topics
 *   clients    the idempotent producer, consumer groups
 *   ingest     the HTTP API producing events_raw / events_deadletter
 *   lake       the Parquet writers over the lake's DuckDB
 *   stream     the processor: events_raw → lake/ and kpi_minute; lake retention and compaction
 *   warehouse  warehouse.duckdb: the kpi_minute sink, KPI queries, the live feed
 *   serving    the HTTP servers of each role
 *   web app    the configurator on the API's origin (Vite in dev, dist/app in start)
 *   demo       simulated traffic posted to ingest
 *
 * Every stage is wrapped in `part(name, …)`, which records the name once the stage is up, so the line
 * a role logs at start ("launchpad dev: started …") lists exactly the layers that were built.
 */
import { Context, Effect, Layer, Option, Ref } from "effect"
import { Settings } from "../domain/Settings.ts"
import { layerServer as layerIngestServer } from "../ingest/IngestServer.ts"
import { EventConsumer } from "../kafka/EventConsumer.ts"
import { EventProducer } from "../kafka/EventProducer.ts"
import { EmbeddedBroker } from "../kafka/embedded/EmbeddedBroker.ts"
import { Kafka } from "../kafka/Kafka.ts"
import { Topics } from "../kafka/Topics.ts"
import { Compaction } from "../lake/Compaction.ts"
import { EventFileWriter } from "../lake/EventFileWriter.ts"
import { LakeEngine } from "../lake/LakeEngine.ts"
import { LakeMaintenance } from "../lake/LakeMaintenance.ts"
import { LakeReader } from "../lake/LakeReader.ts"
import { Retention } from "../lake/Retention.ts"
import { SessionFileWriter } from "../lake/SessionFileWriter.ts"
import { KpiMinuteSink } from "../models/live/KpiMinuteSink.ts"
import { KpiQueries } from "../models/live/KpiQueries.ts"
import { LiveUpdates } from "../models/live/LiveUpdates.ts"
import { ModelSchedule } from "../models/runner/ModelSchedule.ts"
import { layerServer as layerWarehouseServer, ModelServices } from "../models/WarehouseServer.ts"
import { Warehouse } from "../models/warehouse/Warehouse.ts"
import { Simulator } from "../sim/Simulator.ts"
import { StreamProcessor } from "../stream/Processor.ts"
import { layerServer as layerLaunchpadServer } from "./LaunchpadServer.ts"
import { layerBrokerOpsServer, layerStreamOpsServer } from "./OpsServer.ts"
import { WebApp } from "./WebApp.ts"

// ---------------------------------------------------------------------------------------------
// What a role started

export class StartedParts extends Context.Service<StartedParts, Ref.Ref<ReadonlyArray<string>>>()(
  "launchpad/app/StartedParts"
) {
  static readonly layer = Layer.effect(StartedParts, Ref.make<ReadonlyArray<string>>([]))
}

/** A stage of the pipeline under its name: recorded once it is built. */
const part = <A, E, R>(name: string, layer: Layer.Layer<A, E, R>) =>
  layer.pipe(Layer.tap(() => Effect.flatMap(StartedParts, (parts) => Ref.update(parts, (p) => [...p, name]))))

/** A role: its stages (settings among what they provide), then one line saying what started. */
const role = <A, E, R>(mode: string, layer: Layer.Layer<A | Settings, E, R>) =>
  layer.pipe(
    Layer.tap((context) =>
      Effect.gen(function* () {
        const parts = yield* Ref.get(yield* StartedParts)
        const { dataDir } = Context.get(context, Settings)
        yield* Effect.logInfo(`launchpad ${mode}: started ${parts.join(", ")}`).pipe(Effect.annotateLogs({ dataDir }))
      })
    ),
    Layer.provide(StartedParts.layer)
  )

// ---------------------------------------------------------------------------------------------
// platform

/**
 * Kafka: `KAFKA_BROKERS` set ⇒ that cluster; unset ⇒ the embedded broker, started here and stopped
 * with the role. Everything downstream sees only a `Kafka` client.
 */
const kafka = Layer.unwrap(
  Effect.map(Settings, (settings) =>
    Option.match(settings.kafkaBrokers, {
      onSome: (brokers) => part("kafka client", Kafka.layerWith(brokers, { clientId: settings.kafkaClientId })),
      onNone: () =>
        part("kafka client", Kafka.layerEmbedded()).pipe(Layer.provide(part("embedded broker", EmbeddedBroker.layer)))
    })
  )
)

/**
 * Settings, Kafka and Launchpad's topics (created in the background while Kafka is not reachable yet).
 * Exported for tests of the composition (they provide `StartedParts.layer`).
 */
export const platform = part("topics", Topics.layer).pipe(Layer.provideMerge(kafka), Layer.provideMerge(Settings.layer))

// ---------------------------------------------------------------------------------------------
// clients

const producer = part("producer", EventProducer.layer)
/**
 * The ingest role alone has no linger: its producer keeps one request in flight, so publishes that
 * arrive meanwhile batch by themselves, and a lone request is not held back (with the default 5 ms
 * linger, single-event requests/s in bench/ingest.ts were about a third lower).
 */
const ingestProducer = part("producer", EventProducer.layerWith({ lingerMs: 0 }))
const consumer = part("consumer groups", EventConsumer.layer)

// ---------------------------------------------------------------------------------------------
// lake, stream, warehouse

const lake = part("lake writers", Layer.mergeAll(EventFileWriter.layer, SessionFileWriter.layer)).pipe(
  Layer.provideMerge(LakeEngine.layer)
)

/** The processor, and the lake's retention and compaction on a schedule beside it. */
const stream = Layer.mergeAll(
  part("stream processor", StreamProcessor.layer),
  part("lake maintenance", LakeMaintenance.layer.pipe(Layer.provide(Layer.mergeAll(Retention.layer, Compaction.layer))))
)

/**
 * warehouse.duckdb with its KPI tables and queries and the live feed, fed by the kpi_minute sink; the
 * SQL models over the lake with their runner, run on a schedule.
 */
const warehouse = Layer.mergeAll(
  part("kpi_minute sink", KpiMinuteSink.layer),
  part("model schedule", ModelSchedule.layer)
).pipe(
  Layer.provideMerge(part("live KPIs", Layer.mergeAll(KpiQueries.layer, LiveUpdates.layer))),
  Layer.provideMerge(part("models", ModelServices)),
  Layer.provideMerge(LakeReader.layer.pipe(Layer.provideMerge(LakeEngine.layer))),
  Layer.provideMerge(part("warehouse", Warehouse.layer))
)

// ---------------------------------------------------------------------------------------------
// web app

/** The configurator on the API's server and origin: Vite with hot reload in dev, the built files in start. */
const webApp = (mode: "dev" | "start") =>
  mode === "dev" ? part("web app (Vite, hot reload)", WebApp.layerDev) : part("web app (dist/app)", WebApp.layerBuilt())

// ---------------------------------------------------------------------------------------------
// demo

const demoTraffic = part(
  "demo traffic",
  Layer.unwrap(
    Effect.gen(function* () {
      const settings = yield* Settings
      const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
      return Simulator.layer({
        baseUrl: `http://${settings.host}:${settings.port}`,
        usersPerMinute: settings.demoUsersPerMinute,
        seed: now % 2_147_483_647
      })
    })
  )
)

// ---------------------------------------------------------------------------------------------
// roles

/**
 * Every role in one process (`pnpm dev`, `pnpm start`): the ingest and warehouse APIs and the web app
 * on one server (`HOST:PORT`), the stream processor writing the lake and kpi_minute, the warehouse consuming it, and
 * with `demo` simulated visitors posting to the API like a browser SDK would. One Kafka client and
 * one producer are shared.
 */
const allInOne = (mode: "dev" | "start", demo: boolean) =>
  role(
    mode,
    Layer.mergeAll(
      part("HTTP API", layerLaunchpadServer()).pipe(Layer.provide(webApp(mode))),
      stream,
      demo ? demoTraffic : Layer.empty
    ).pipe(
      Layer.provide(warehouse),
      Layer.provide(lake),
      Layer.provide(Layer.mergeAll(producer, consumer)),
      Layer.provideMerge(platform)
    )
  )

/** The ingest role alone: the HTTP API on HOST:PORT producing to KAFKA_BROKERS (or to an embedded broker). */
const ingest = role(
  "ingest",
  part("ingest API", layerIngestServer()).pipe(Layer.provide(ingestProducer), Layer.provideMerge(platform))
)

/**
 * The broker role alone (a development stand-in for a Kafka cluster): the embedded broker on
 * BROKER_HOST:BROKER_PORT, its metrics and health on BROKER_HOST:BROKER_METRICS_PORT (not PORT: an
 * API usually runs next to it).
 */
const broker = role(
  "broker",
  Layer.mergeAll(part("embedded broker", EmbeddedBroker.layer), part("/metrics", layerBrokerOpsServer)).pipe(
    Layer.provideMerge(Settings.layer)
  )
)

/**
 * The stream role alone: one processor in the "launchpad-stream" group, writing the lake and
 * checkpoints under LAUNCHPAD_DATA_DIR and window updates to kpi_minute, with /metrics and /health
 * on HOST:PORT. Run N of them to share the partitions (each on its own PORT).
 */
const streamRole = role(
  "stream",
  Layer.mergeAll(stream, part("/metrics", layerStreamOpsServer)).pipe(
    Layer.provide(lake),
    Layer.provide(Layer.mergeAll(producer, consumer)),
    Layer.provideMerge(platform)
  )
)

/**
 * The warehouse role alone: consumes kpi_minute into LAUNCHPAD_DATA_DIR/warehouse.duckdb (group
 * "launchpad-warehouse") and serves the KPI and live API on HOST:PORT. One instance: DuckDB allows
 * one writer per file.
 */
const serve = role(
  "serve",
  part("warehouse API", layerWarehouseServer()).pipe(
    Layer.provide(warehouse),
    Layer.provide(consumer),
    Layer.provideMerge(platform)
  )
)

export const Roles = {
  dev: allInOne("dev", true),
  start: (options: { readonly demo: boolean }) => allInOne("start", options.demo),
  broker,
  ingest,
  stream: streamRole,
  serve
} as const
