/**
 * One embedded broker and one warehouse (sink + standalone HTTP server on an ephemeral port, real
 * DuckDB file in a temporary data directory) per test file. Tests produce `kpi_minute` records with
 * kafkajs, as the stream processor does, and read back over HTTP or straight from DuckDB.
 */
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Effect, Layer, Logger, ManagedRuntime, Metric } from "effect"
import { HttpServer } from "effect/http"
import { SqlClient } from "effect/sql"
import type { Producer } from "kafkajs"
import { emptyMeasures as noMeasures, type WindowMeasures } from "../../src/domain/KpiMeasures.ts"
import { encodeKpiUpdate, type KpiUpdate, kpiKey } from "../../src/domain/KpiMinute.ts"
import { Settings, type SettingsShape } from "../../src/domain/Settings.ts"
import { EventConsumer } from "../../src/kafka/EventConsumer.ts"
import { Kafka } from "../../src/kafka/Kafka.ts"
import { TopicNames, Topics } from "../../src/kafka/Topics.ts"
import { runKpiRetention } from "../../src/models/live/KpiMinuteSink.ts"
import { layerServer, warehouseServices } from "../../src/models/WarehouseServer.ts"
import { startBroker, type TestBroker } from "../kafka/fixtures/broker.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"

export const MINUTE_MS = 60_000

export const currentMinute = (): number => Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS

export const emptyMeasures = (): WindowMeasures => noMeasures()

export interface UpdateInput {
  readonly minuteStartMs: number
  readonly partition: number
  readonly partitions?: number
  readonly closed?: boolean
  /** Defaults to the minute's end when closed, else its start. */
  readonly watermarkMs?: number
  readonly measures?: Partial<WindowMeasures>
}

/** A `window` record as the stream processor publishes it (src/stream/KpiRecords.ts). */
export const windowRecord = (input: UpdateInput) => {
  const closed = input.closed ?? false
  const update: KpiUpdate = {
    kind: "window",
    minute: new Date(input.minuteStartMs).toISOString(),
    minuteStartMs: input.minuteStartMs,
    partition: input.partition,
    partitions: input.partitions ?? 3,
    closed,
    watermarkMs: input.watermarkMs ?? (closed ? input.minuteStartMs + MINUTE_MS : input.minuteStartMs),
    measures: { ...emptyMeasures(), ...input.measures }
  }
  return { key: kpiKey(update), value: encodeKpiUpdate(update) }
}

/** A `progress` record: the partition's watermark moved without events in some minutes. */
export const progressRecord = (partition: number, watermarkMs: number, partitions = 3) => {
  const update: KpiUpdate = { kind: "progress", partition, partitions, watermarkMs }
  return { key: kpiKey(update), value: encodeKpiUpdate(update) }
}

export interface TestWarehouse {
  readonly baseUrl: string
  /** The warehouse's LAUNCHPAD_DATA_DIR (its lake, warehouse.duckdb). */
  readonly dataDir: string
  readonly broker: () => TestBroker
  /** Stops the broker, then starts it again on the same port and data directory after `downMs`. */
  readonly bounceBroker: (downMs: number) => Promise<void>
  /** Produces raw record values to kpi_minute (key = minute, as the processor does). */
  readonly produce: (records: ReadonlyArray<{ readonly key: string; readonly value: string }>) => Promise<void>
  readonly produceUpdates: (updates: ReadonlyArray<UpdateInput>) => Promise<void>
  readonly query: (sql: string, params?: ReadonlyArray<unknown>) => Promise<ReadonlyArray<Record<string, unknown>>>
  readonly retention: () => Promise<number>
  /** A counter's total or a gauge's value (summed over attributes). */
  readonly metric: (name: string) => Promise<number>
  /** Stops the warehouse, and the broker unless `keepBroker`. */
  readonly close: (options?: { readonly keepBroker?: boolean }) => Promise<void>
}

/** A warehouse with a fresh data directory, on `broker` or on a new broker. */
export const startWarehouse = async (
  options: { readonly broker?: TestBroker; readonly settings?: Partial<SettingsShape> } = {}
): Promise<TestWarehouse> => {
  let broker = options.broker ?? (await startBroker({ partitions: 1 }))
  const brokerPort = broker.port
  const dataDir = mkdtempSync(path.join(tmpdir(), "launchpad-warehouse-"))
  const settings = Settings.layerWith({
    host: "127.0.0.1",
    dataDir,
    partitions: 3,
    kpiRetentionDays: 7,
    ...options.settings
  })
  const kafka = Kafka.layerWith(broker.brokers, {
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 }
  })
  const consumer = EventConsumer.layer.pipe(Layer.provide(Topics.layer))
  const runtime = ManagedRuntime.make(
    layerServer({ port: 0 }).pipe(
      Layer.provideMerge(
        warehouseServices({ maxWaitTimeMs: 100, sessionTimeoutMs: 6_000, retentionInterval: "1 hour" })
      ),
      Layer.provide(consumer),
      Layer.provide(kafka),
      Layer.provideMerge(settings),
      Layer.provide(Logger.layer([]))
    )
  )
  const address = await runtime.runPromise(Effect.map(HttpServer.HttpServer, (server) => server.address))
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP address")
  const kafkajs = client(broker.brokers)
  const producer: Producer = kafkajs.producer()
  await producer.connect()
  const produce = async (records: ReadonlyArray<{ readonly key: string; readonly value: string }>) => {
    await producer.send({ topic: TopicNames.kpiMinute, messages: records.map((r) => ({ key: r.key, value: r.value })) })
  }
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    dataDir,
    broker: () => broker,
    bounceBroker: async (downMs) => {
      await broker.close()
      await new Promise((resolve) => setTimeout(resolve, downMs))
      broker = await startBroker({ partitions: 1, brokerPort, dataDir: broker.dataDir })
    },
    produce,
    produceUpdates: (updates) => produce(updates.map(windowRecord)),
    query: (sql, params) =>
      runtime.runPromise(
        Effect.flatMap(SqlClient.SqlClient, (sql_) =>
          sql_
            .unsafe<Record<string, unknown>>(sql, params ?? [])
            .pipe(Effect.provideService(SqlClient.SafeIntegers, true))
        )
      ),
    retention: () => runtime.runPromise(runKpiRetention()),
    metric: (name) =>
      runtime.runPromise(
        Effect.map(Metric.snapshot, (metrics) => {
          let total = 0
          for (const metric of metrics) {
            if (metric.id !== name) continue
            if (metric.type === "Counter") total += Number(metric.state.count)
            else if (metric.type === "Gauge") total += Number(metric.state.value)
          }
          return total
        })
      ),
    close: async ({ keepBroker = false } = {}) => {
      await producer.disconnect()
      await runtime.dispose()
      if (!keepBroker) await broker.close()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

/** Polls `check` until it returns a value (not undefined), or fails after `timeoutMs`. */
export const eventually = async <A>(check: () => Promise<A | undefined>, timeoutMs = 20_000): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last === undefined ? "" : `: ${String(last)}`}`)
}

export const getJson = async (url: string): Promise<{ readonly status: number; readonly body: unknown }> => {
  const response = await fetch(url)
  return { status: response.status, body: await response.json() }
}
