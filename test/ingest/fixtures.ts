/**
 * One ingest server and one embedded broker per test file: the broker runs in its own ManagedRuntime
 * (so a test can stop and restart it on the same port and data directory), the server on an
 * ephemeral port. Tests talk HTTP (typed client or raw fetch) and read topics back with kafkajs.
 */
import { randomUUID } from "node:crypto"
import { Effect, Layer, Logger, ManagedRuntime } from "effect"
import { FetchHttpClient, HttpClient, HttpClientRequest, HttpServer } from "effect/http"
import { HttpApiClient } from "effect/http-api"
import type { Kafka as KafkaJs } from "kafkajs"
import { Settings, type SettingsShape } from "../../src/domain/Settings.ts"
import { IngestApi } from "../../src/ingest/api/IngestApi.ts"
import { layerServer, type ServerOptions } from "../../src/ingest/IngestServer.ts"
import { EventProducer, type EventProducerOptions } from "../../src/kafka/EventProducer.ts"
import { Kafka } from "../../src/kafka/Kafka.ts"
import { Topics } from "../../src/kafka/Topics.ts"
import { startBroker, type TestBroker } from "../kafka/fixtures/broker.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"

export interface TestIngest {
  readonly baseUrl: string
  readonly broker: () => TestBroker
  readonly kafka: KafkaJs
  /** Stops the broker (the server keeps running). */
  readonly stopBroker: () => Promise<void>
  /** Starts the broker again on the same port and data directory. */
  readonly restartBroker: () => Promise<void>
  readonly close: () => Promise<void>
}

export const startIngest = async (
  overrides: Partial<SettingsShape> = {},
  producer: EventProducerOptions = {},
  server: Omit<ServerOptions, "port"> = {}
): Promise<TestIngest> => {
  let broker = await startBroker({ partitions: 3 })
  const settings = Settings.layerWith({ host: "127.0.0.1", partitions: 3, ...overrides })
  const kafka = Kafka.layerWith(broker.brokers, {
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 }
  })
  const infra = EventProducer.layerWith({
    lingerMs: 2,
    sendRetries: 1,
    retryBaseDelayMs: 100,
    kafkaRetry: { retries: 1, initialRetryTime: 100, maxRetryTime: 300 },
    ...producer
  }).pipe(Layer.provideMerge(Topics.layer), Layer.provideMerge(kafka), Layer.provideMerge(settings))
  const runtime = ManagedRuntime.make(
    layerServer({ ...server, port: 0 }).pipe(Layer.provideMerge(infra), Layer.provide(Logger.layer([])))
  )
  const address = await runtime.runPromise(
    Effect.gen(function* () {
      const server = yield* HttpServer.HttpServer
      return server.address
    })
  )
  if (address._tag === "UnixPathAddress") throw new Error("expected a TCP address")
  const port = broker.port
  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    broker: () => broker,
    kafka: client(broker.brokers),
    stopBroker: () => broker.close(),
    restartBroker: async () => {
      broker = await startBroker({ partitions: 3, brokerPort: port, dataDir: broker.dataDir })
    },
    close: async () => {
      await runtime.dispose()
      await broker.close()
    }
  }
}

/** The typed client of the API, pointed at `baseUrl`, optionally sending a write key. */
export const apiClient = (baseUrl: string, writeKey?: string) =>
  HttpApiClient.make(IngestApi, {
    transformClient: (c) =>
      c.pipe(
        HttpClient.mapRequest((request) => {
          const withBase = HttpClientRequest.prependUrl(request, baseUrl)
          return writeKey === undefined ? withBase : HttpClientRequest.setHeader(withBase, "x-write-key", writeKey)
        })
      )
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** A valid quiz_started event; `overrides` replace top-level fields. */
export const validEvent = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  event_id: randomUUID(),
  event_type: "quiz_started",
  schema_version: 1,
  user_id: `user-${randomUUID().slice(0, 8)}`,
  session_id: "session-1",
  occurred_at: new Date().toISOString(),
  context: { device_type: "desktop", page_path: "/configurator" },
  properties: { quiz_id: "quiz-1" },
  ...overrides
})

export interface TopicRecord {
  readonly topic: string
  readonly partition: number
  readonly key: string | null
  readonly value: string
  readonly headers: Readonly<Record<string, string>>
}

/** Every record of `topics` up to their end offsets as of the call (a fresh group, from the beginning). */
export const readTopics = async (kafka: KafkaJs, topics: ReadonlyArray<string>): Promise<Array<TopicRecord>> => {
  const admin = kafka.admin()
  await admin.connect()
  const remaining = new Map<string, bigint>()
  for (const topic of topics) {
    for (const o of await admin.fetchTopicOffsets(topic)) {
      if (BigInt(o.high) > 0n) remaining.set(`${topic}:${o.partition}`, BigInt(o.high))
    }
  }
  await admin.disconnect()
  const out: Array<TopicRecord> = []
  if (remaining.size === 0) return out
  const consumer = kafka.consumer({ groupId: `read-${randomUUID()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [...topics], fromBeginning: true })
  await new Promise<void>((resolve) => {
    consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const key = `${topic}:${partition}`
        const high = remaining.get(key)
        if (high === undefined || BigInt(message.offset) >= high) return
        const headers: Record<string, string> = {}
        for (const [name, value] of Object.entries(message.headers ?? {})) {
          if (value !== undefined) headers[name] = String(value)
        }
        out.push({
          topic,
          partition,
          key: message.key?.toString("utf8") ?? null,
          value: message.value?.toString("utf8") ?? "",
          headers
        })
        if (BigInt(message.offset) + 1n >= high) remaining.delete(key)
        if (remaining.size === 0) resolve()
      }
    })
  })
  await consumer.disconnect()
  return out
}

/** POSTs `body` (string or bytes) with `headers`; returns status, headers and parsed JSON body. */
export const post = async (
  baseUrl: string,
  path: string,
  body: string | Uint8Array<ArrayBuffer>,
  headers: Record<string, string>
) => {
  const response = await fetch(`${baseUrl}${path}`, { method: "POST", body, headers })
  const text = await response.text()
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, headers: response.headers, json, text }
}

export const postJson = (baseUrl: string, path: string, value: unknown, headers: Record<string, string> = {}) =>
  post(baseUrl, path, JSON.stringify(value), { "content-type": "application/json", ...headers })
