/**
 * Embedded broker throughput: the broker runs in its own process (as in production use); a kafkajs
 * producer sends ~400 B JSON events in batches of 500 with acks=-1 (several requests in flight),
 * then a kafkajs consumer reads them all back. Reports msgs/s and MB/s each way, p99 produce-ack
 * latency and the broker's RSS (sampled from /proc). `node bench/broker.ts [events]` runs it alone.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads"
import { Kafka, logLevel } from "kafkajs"
import { spawnBroker } from "../test/kafka/fixtures/child.ts"
import { parseProduceResponse, produceBody, RawConnection, recordBatch } from "../test/kafka/fixtures/raw.ts"
import { type BenchRow, type BenchSection, formatTable } from "./Bench.ts"

export interface BrokerBenchResult {
  readonly events: number
  readonly bytes: number
  readonly produceMsgsPerSec: number
  readonly produceMBPerSec: number
  readonly produceP99Ms: number
  readonly consumeMsgsPerSec: number
  readonly consumeMBPerSec: number
  /** Broker-only ceiling: pre-encoded 500-record batches over the raw protocol, acks=-1. */
  readonly rawProduceMsgsPerSec: number
  /** Broker process CPU seconds per million events produced through kafkajs. */
  readonly brokerCpuSecPerMillion: number
  readonly rssPeakMB: number
  readonly rssEndMB: number
}

const BATCH = 500
/** Producer threads: kafkajs encoding costs more CPU than the broker, so one thread cannot saturate it. */
const PRODUCERS = Number(process.env.BENCH_PRODUCERS ?? 2)
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 2)
const PARTITIONS = 3

const cpuSeconds = (pid: number): number => {
  const fields = (fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ")
  // utime + stime, in clock ticks of 1/100 s (USER_HZ).
  return (Number(fields[11]) + Number(fields[12])) / 100
}

const rssMB = (pid: number): number => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0")
  return kb / 1024
}

/** A ~400 B event shaped like the ingest envelope. */
const event = (i: number): string =>
  JSON.stringify({
    event_id: `0193a5c2-7d1e-7000-8000-${String(i).padStart(12, "0")}`,
    event_type: "option_selected",
    schema_version: 1,
    user_id: `user-${i % 5000}`,
    session_id: `sess-${i % 20000}`,
    occurred_at: new Date(1_767_225_600_000 + i).toISOString(),
    received_at: new Date(1_767_225_600_500 + i).toISOString(),
    context: { page: "/configure", locale: "en-GB", app_version: "1.4.2", ua: "Mozilla/5.0 (X11; Linux x86_64)" },
    properties: { option_group: "wheels", option_id: `w-${i % 12}`, price_delta: (i % 900) / 10 }
  })

interface ProducerShare {
  readonly bytes: number
  readonly latencies: ReadonlyArray<number>
}

/** One producer thread: sends events [from, to) in batches, IN_FLIGHT requests at a time. */
const producerThread = async (
  brokers: Array<string>,
  topic: string,
  from: number,
  to: number
): Promise<ProducerShare> => {
  const kafka = new Kafka({ brokers, clientId: "bench-producer", logLevel: logLevel.NOTHING })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  // Pre-built events: the benchmark measures Kafka traffic, not JSON.stringify.
  const pool = Array.from({ length: 1000 }, (_, i) => event(from + i))
  const latencies: Array<number> = []
  let bytes = 0
  let next = from
  const loop = async () => {
    while (next < to) {
      const first = next
      next = Math.min(to, next + BATCH)
      const messages = []
      for (let i = first; i < next; i++) {
        const value = pool[i % pool.length] ?? ""
        bytes += value.length
        messages.push({ key: `user-${i % 5000}`, value })
      }
      const t = performance.now()
      await producer.send({ topic, acks: -1, messages })
      latencies.push(performance.now() - t)
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, loop))
  await producer.disconnect()
  return { bytes, latencies }
}

/**
 * The broker alone: `requests` Produce requests, each one pre-encoded batch of BATCH events, eight
 * in flight on one connection, acks=-1. Shows what the broker sustains without kafkajs encoding.
 */
const rawProduce = async (port: number, requests: number): Promise<number> => {
  const conn = await RawConnection.open(port)
  const topic = "bench_raw"
  // Metadata v4 for the topic, auto-creating it.
  await conn.request(
    3,
    4,
    1,
    Buffer.concat([Buffer.from([0, 0, 0, 1, 0, topic.length]), Buffer.from(topic), Buffer.from([1])])
  )
  const bodies = Array.from({ length: PARTITIONS }, (_, p) =>
    produceBody(
      topic,
      0,
      recordBatch({
        producerId: -1n,
        producerEpoch: -1,
        baseSequence: -1,
        values: Array.from({ length: BATCH }, (_, i) => event(p * BATCH + i))
      })
    )
  )
  let sent = 0
  let correlation = 10
  const started = performance.now()
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (sent < requests) {
        const body = bodies[sent++ % bodies.length] ?? Buffer.alloc(0)
        const res = parseProduceResponse(await conn.request(0, 7, correlation++, body))
        if (res.errorCode !== 0) throw new Error(`raw produce failed with error ${res.errorCode}`)
      }
    })
  )
  const seconds = (performance.now() - started) / 1000
  conn.close()
  return Math.round((requests * BATCH) / seconds)
}

export const runBrokerBench = async (events: number): Promise<BrokerBenchResult> => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "launchpad-bench-broker-"))
  const broker = await spawnBroker(dataDir)
  const pid = broker.process.pid ?? 0
  let rssPeak = 0
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, rssMB(pid))
  }, 100)
  try {
    const kafka = new Kafka({ brokers: broker.brokers, clientId: "bench", logLevel: logLevel.NOTHING })
    const topic = "bench_events"
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] })
    await admin.disconnect()

    const cpuBefore = cpuSeconds(pid)
    const started = performance.now()
    const shares = await Promise.all(
      Array.from({ length: PRODUCERS }, (_, w) => {
        const from = Math.floor((events * w) / PRODUCERS)
        const to = Math.floor((events * (w + 1)) / PRODUCERS)
        return new Promise<ProducerShare>((resolve, reject) => {
          const worker = new Worker(fileURLToPath(import.meta.url), {
            workerData: { role: "broker-producer", brokers: broker.brokers, topic, from, to }
          })
          worker.once("message", resolve)
          worker.once("error", reject)
        })
      })
    )
    const produceSec = (performance.now() - started) / 1000
    const brokerCpu = cpuSeconds(pid) - cpuBefore
    const bytes = shares.reduce((n, s) => n + s.bytes, 0)
    const latencies = shares.flatMap((s) => s.latencies).sort((a, b) => a - b)

    const consumer = kafka.consumer({ groupId: "bench", maxBytesPerPartition: 4 << 20, maxBytes: 16 << 20 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    let consumed = 0
    const consumeStart = performance.now()
    await new Promise<void>((resolve) => {
      consumer.run({
        eachBatch: async ({ batch }) => {
          consumed += batch.messages.length
          if (consumed >= events) resolve()
        }
      })
    })
    const consumeSec = (performance.now() - consumeStart) / 1000
    await consumer.disconnect()
    const rawProduceMsgsPerSec = await rawProduce(broker.port, Math.max(100, Math.round(events / BATCH / 2)))
    const rssEnd = rssMB(pid)
    rssPeak = Math.max(rssPeak, rssEnd)
    const mb = bytes / 1024 / 1024
    return {
      events,
      bytes,
      produceMsgsPerSec: Math.round(events / produceSec),
      produceMBPerSec: Math.round((mb / produceSec) * 10) / 10,
      produceP99Ms: Math.round((latencies[Math.floor(latencies.length * 0.99)] ?? 0) * 10) / 10,
      consumeMsgsPerSec: Math.round(consumed / consumeSec),
      consumeMBPerSec: Math.round((mb / consumeSec) * 10) / 10,
      rawProduceMsgsPerSec,
      brokerCpuSecPerMillion: Math.round((brokerCpu / events) * 1_000_000 * 10) / 10,
      rssPeakMB: Math.round(rssPeak),
      rssEndMB: Math.round(rssEnd)
    }
  } finally {
    clearInterval(sampler)
    broker.process.kill("SIGTERM")
    await broker.exited
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

const toRows = (r: BrokerBenchResult): ReadonlyArray<BenchRow> => [
  {
    section: "broker",
    measure: "produce",
    value: r.produceMsgsPerSec,
    unit: "msgs/s",
    goal: "≥ 100000",
    ok: r.produceMsgsPerSec >= 100_000
  },
  { section: "broker", measure: "produce", value: r.produceMBPerSec, unit: "MB/s" },
  { section: "broker", measure: "produce ack p99", value: r.produceP99Ms, unit: "ms" },
  {
    section: "broker",
    measure: "consume",
    value: r.consumeMsgsPerSec,
    unit: "msgs/s",
    goal: "≥ 100000",
    ok: r.consumeMsgsPerSec >= 100_000
  },
  { section: "broker", measure: "consume", value: r.consumeMBPerSec, unit: "MB/s" },
  { section: "broker", measure: "broker CPU per 1M produced", value: r.brokerCpuSecPerMillion, unit: "s" },
  { section: "broker", measure: "produce, raw pre-encoded batches", value: r.rawProduceMsgsPerSec, unit: "msgs/s" },
  {
    section: "broker",
    measure: "broker RSS peak",
    value: r.rssPeakMB,
    unit: "MB",
    goal: "< 300",
    ok: r.rssPeakMB < 300
  },
  { section: "broker", measure: "broker RSS end", value: r.rssEndMB, unit: "MB", goal: "< 300", ok: r.rssEndMB < 300 }
]

export const brokerBench: BenchSection = {
  name: "broker",
  setup: `1M events of ~400 B JSON, ${PRODUCERS} kafkajs producer threads, batches of ${BATCH}, acks=-1, ${IN_FLIGHT} in flight each, ${PARTITIONS} partitions, then one kafkajs consumer`,
  run: async ({ scale }) => toRows(await runBrokerBench(Math.round(1_000_000 * scale)))
}

if (!isMainThread && workerData?.role === "broker-producer") {
  const { brokers, topic, from, to } = workerData
  parentPort?.postMessage(await producerThread(brokers, topic, from, to))
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = Number(process.argv[2] ?? "1000000")
  const result = await runBrokerBench(events)
  console.log(formatTable(toRows(result)))
  console.log(JSON.stringify(result))
}
