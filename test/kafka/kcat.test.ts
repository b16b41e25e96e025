/**
 * librdkafka compatibility through Debian's kcat (librdkafka 2.0.2): metadata, produce with keys and
 * every codec, plain and group consumption with resume, and kafkajs <-> kcat in both directions.
 * Every run has protocol debugging on and must log no protocol error.
 */
import { execFile } from "node:child_process"
import type { Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startBroker, type TestBroker } from "./fixtures/broker.ts"
import { registerCodecs } from "./fixtures/codecs.ts"
import { client, consume, uniqueTopic } from "./fixtures/kafkajs.ts"

let broker: TestBroker
let kafka: Kafka
beforeAll(async () => {
  registerCodecs()
  broker = await startBroker({ partitions: 1 })
  kafka = client(broker.brokers)
})
afterAll(() => broker.close())

const PROTOCOL_ERROR = /PROTOERR|Protocol parse failure|protocol error/i

/** Runs kcat against the broker with protocol debugging and fails on any protocol error. */
const kcat = (args: ReadonlyArray<string>, input?: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const child = execFile(
      "kcat",
      ["-b", broker.brokers[0] ?? "", "-X", "debug=protocol", ...args],
      { timeout: 30_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`kcat ${args.join(" ")} failed: ${error.message}\n${stderr.slice(-2000)}`))
        else if (PROTOCOL_ERROR.test(stderr))
          reject(new Error(`protocol error: ${stderr.match(/.*(PROTOERR|parse failure).*/i)?.[0]}`))
        else resolve(stdout)
      }
    )
    child.stdin?.end(input ?? "")
  })

interface KcatMessage {
  readonly partition: number
  readonly offset: number
  readonly key: string | null
  readonly payload: string | null
}

const consumeJson = async (topic: string): Promise<Array<KcatMessage>> =>
  (await kcat(["-C", "-t", topic, "-o", "beginning", "-e", "-J"]))
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line))

describe("kcat", () => {
  it("lists metadata (-L) with this broker as controller", async () => {
    const topic = uniqueTopic("kcat-meta")
    await kcat(["-P", "-t", topic], "x\n")
    const out = await kcat(["-L"])
    expect(out).toContain(`broker 0 at 127.0.0.1:${broker.port} (controller)`)
    expect(out).toContain(`topic "${topic}" with 1 partitions`)
  })

  it("produces keyed messages (-P -K:) and consumes them back (-C -e -J)", async () => {
    const topic = uniqueTopic("kcat-keys")
    await kcat(["-P", "-t", topic, "-K:"], "k1:v1\nk2:v2\nk3:v3\n")
    const read = await consumeJson(topic)
    expect(read.map((m) => [m.offset, m.key, m.payload])).toEqual([
      [0, "k1", "v1"],
      [1, "k2", "v2"],
      [2, "k3", "v3"]
    ])
  })

  it("produces with every codec (-z) and kafkajs reads the batches", async () => {
    const topic = uniqueTopic("kcat-codecs")
    const codecs = ["gzip", "snappy", "lz4", "zstd"]
    for (const codec of codecs) {
      const lines = Array.from(
        { length: 50 },
        (_, i) => `${codec}:${JSON.stringify({ codec, i, pad: "z".repeat(50) })}`
      )
      await kcat(["-P", "-t", topic, "-K:", "-z", codec], `${lines.join("\n")}\n`)
    }
    const read = await consume(kafka, topic, codecs.length * 50)
    expect(read.map((r) => r.message.key?.toString())).toEqual(codecs.flatMap((c) => Array<string>(50).fill(c)))
    expect(JSON.parse(read[175]?.message.value?.toString() ?? "{}")).toMatchObject({ codec: "zstd", i: 25 })
    const viaKcat = await consumeJson(topic)
    expect(viaKcat.length).toBe(codecs.length * 50)
  })

  it("consumes what kafkajs produced", async () => {
    const topic = uniqueTopic("kcat-from-kafkajs")
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic,
      messages: [
        { key: "a", value: "from-kafkajs" },
        { key: null, value: "second" }
      ]
    })
    await producer.disconnect()
    const read = await consumeJson(topic)
    expect(read.map((m) => [m.key, m.payload])).toEqual([
      ["a", "from-kafkajs"],
      [null, "second"]
    ])
  })

  it("consumes in a group (-G) and a rerun resumes from the committed offsets", async () => {
    const topic = uniqueTopic("kcat-group")
    const group = uniqueTopic("kcat-g")
    const runGroup = async () =>
      (await kcat(["-G", group, "-X", "auto.offset.reset=earliest", "-e", "-f", "%o:%s\n", topic]))
        .split("\n")
        .filter((l) => l.length > 0)
    await kcat(["-P", "-t", topic], "a\nb\nc\n")
    expect(await runGroup()).toEqual(["0:a", "1:b", "2:c"])
    await kcat(["-P", "-t", topic], "d\ne\n")
    expect(await runGroup()).toEqual(["3:d", "4:e"])
  })

  it("produces with an idempotent librdkafka producer", async () => {
    const topic = uniqueTopic("kcat-idem")
    await kcat(["-P", "-t", topic, "-X", "enable.idempotence=true"], "i1\ni2\ni3\n")
    expect((await consumeJson(topic)).map((m) => m.payload)).toEqual(["i1", "i2", "i3"])
  })
})
