/**
 * The models bench's child process, so each measurement has its own peak RSS:
 *
 *   node bench/modelsWorker.ts run <dataDir> full|incremental   → one JSON line: seconds, maxRssMb, run
 *   node bench/modelsWorker.ts serve <dataDir>                  → prints {"port": n}, serves until SIGTERM
 *
 * `serve` is the warehouse's HTTP API over the data dir (reports, exports, models, KPIs) without the
 * kpi_minute sink and without scheduled runs, so only the bench's requests run.
 */
import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Duration, Effect, Layer } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { Settings } from "../src/domain/Settings.ts"
import { LakeEngine } from "../src/lake/LakeEngine.ts"
import { LakeReader } from "../src/lake/LakeReader.ts"
import { KpiQueries } from "../src/models/live/KpiQueries.ts"
import { LiveUpdates } from "../src/models/live/LiveUpdates.ts"
import { ModelRunner } from "../src/models/runner/ModelRunner.ts"
import { ModelServices, WarehouseRoutes } from "../src/models/WarehouseServer.ts"
import { Warehouse } from "../src/models/warehouse/Warehouse.ts"
import { routerConfig } from "../src/platform/Routes.ts"

const [command, dataDir, mode] = process.argv.slice(2)
if (dataDir === undefined) throw new Error("usage: modelsWorker.ts run|serve <dataDir> [full|incremental]")

const services = Layer.mergeAll(ModelServices, KpiQueries.layer, LiveUpdates.layer).pipe(
  Layer.provideMerge(LakeReader.layer),
  Layer.provideMerge(LakeEngine.layer),
  Layer.provideMerge(Warehouse.layer),
  Layer.provideMerge(Settings.layerWith({ dataDir, modelsInterval: Duration.zero }))
)

if (command === "run") {
  const started = performance.now()
  const report = await Effect.runPromise(
    Effect.flatMap(ModelRunner, (runner) => runner.run({ fullRefresh: mode === "full" })).pipe(Effect.provide(services))
  )
  const seconds = (performance.now() - started) / 1000
  console.log(
    JSON.stringify({
      seconds,
      maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      status: report.run.status,
      models: report.results.map((r) => ({
        model: r.model,
        status: r.status,
        ms: r.durationMs,
        rows: r.rows,
        message: r.message
      }))
    })
  )
} else if (command === "serve") {
  const server = HttpRouter.serve(WarehouseRoutes, { disableLogger: true, routerConfig }).pipe(
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provide(services)
  )
  await Effect.runPromise(
    Effect.gen(function* () {
      const address = (yield* HttpServer.HttpServer).address
      console.log(JSON.stringify({ port: address._tag === "UnixPathAddress" ? 0 : address.port }))
      return yield* Effect.never
    }).pipe(Effect.provide(server), Effect.scoped)
  )
} else {
  throw new Error(`unknown command ${command}`)
}
