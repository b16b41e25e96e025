/**
 * Durability: kill -9 a broker process in the middle of an acks=-1 produce loop and check that every
 * acknowledged record survives at its offset; torn tails are cut at the last valid batch; producer
 * ids and idempotence state survive restarts; old segments are served from disk through the index.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { startBroker, tempDataDir } from "./fixtures/broker.ts"
import { spawnBroker } from "./fixtures/child.ts"
import { client, consume, uniqueTopic } from "./fixtures/kafkajs.ts"
import { parseProduceResponse, produceBody, RawConnection, recordBatch } from "./fixtures/raw.ts"

const dirs: Array<string> = []
const dataDir = () => {
  const d = tempDataDir()
  dirs.push(d)
  return d
}
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true })
})

const segmentFiles = (dir: string, topic: string, partition = 0) => {
  const p = path.join(dir, "broker", "topics", topic, String(partition))
  return fs
    .readdirSync(p)
    .filter((f) => f.endsWith(".log"))
    .sort()
    .map((f) => path.join(p, f))
}

describe("durability", () => {
  it("keeps every acknowledged record across kill -9", async () => {
    const dir = dataDir()
    const topic = "crash"
    const first = await spawnBroker(dir)
    const producer = client(first.brokers).producer({ retry: { retries: 0 } })
    await producer.connect()
    const acked = new Map<number, string>()
    let sent = 0
    let stop = false
    const loop = async (worker: number) => {
      while (!stop) {
        const values = Array.from({ length: 5 }, (_, i) => `w${worker}-${sent++}-${i}`)
        try {
          const [res] = await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) })
          if (res === undefined) continue
          for (const [i, v] of values.entries()) acked.set(Number(res.baseOffset) + i, v)
        } catch {
          return
        }
      }
    }
    const loops = [0, 1, 2, 3].map(loop)
    while (acked.size < 500) await new Promise((r) => setTimeout(r, 10))
    first.process.kill("SIGKILL")
    await first.exited
    stop = true
    await Promise.all(loops)
    await producer.disconnect().catch(() => undefined)

    const second = await spawnBroker(dir)
    try {
      const kafka = client(second.brokers)
      const admin = kafka.admin()
      await admin.connect()
      const high = Number((await admin.fetchTopicOffsets(topic))[0]?.high)
      await admin.disconnect()
      expect(high).toBeGreaterThanOrEqual(Math.max(...acked.keys()) + 1)
      const read = await consume(kafka, topic, high)
      const byOffset = new Map(read.map((r) => [Number(r.message.offset), r.message.value?.toString()]))
      for (const [offset, value] of acked) expect(byOffset.get(offset)).toBe(value)
      expect([...byOffset.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: high }, (_, i) => i))
    } finally {
      second.process.kill("SIGTERM")
      await second.exited
    }
  })

  it("truncates a torn tail (half a batch, then garbage) and keeps appending after it", async () => {
    const dir = dataDir()
    const topic = uniqueTopic("torn")
    const one = await startBroker({ dataDir: dir })
    const producer = client(one.brokers).producer()
    await producer.connect()
    for (let i = 0; i < 10; i++) await producer.send({ topic, messages: [{ value: `v${i}` }] })
    await producer.disconnect()
    await one.close()

    const [segment] = segmentFiles(dir, topic)
    if (segment === undefined) throw new Error("no segment")
    const whole = fs.readFileSync(segment)
    const firstBatch = 12 + whole.readInt32BE(8)
    fs.appendFileSync(segment, whole.subarray(0, Math.floor(firstBatch / 2)))
    const sizeWithTear = fs.statSync(segment).size

    const two = await startBroker({ dataDir: dir })
    try {
      expect(fs.statSync(segment).size).toBe(whole.length)
      expect(sizeWithTear).toBeGreaterThan(whole.length)
      const kafka = client(two.brokers)
      const p2 = kafka.producer()
      await p2.connect()
      const [res] = await p2.send({ topic, messages: [{ value: "after" }] })
      await p2.disconnect()
      expect(res?.baseOffset).toBe("10")
      const read = await consume(kafka, topic, 11)
      expect(read.map((r) => r.message.value?.toString())).toEqual([
        ...Array.from({ length: 10 }, (_, i) => `v${i}`),
        "after"
      ])
    } finally {
      await two.close()
    }
  })

  it("drops a full-length tail batch whose CRC does not match", async () => {
    const dir = dataDir()
    const topic = uniqueTopic("badcrc")
    const one = await startBroker({ dataDir: dir })
    const producer = client(one.brokers).producer()
    await producer.connect()
    for (let i = 0; i < 3; i++) await producer.send({ topic, messages: [{ value: `v${i}` }] })
    await producer.disconnect()
    await one.close()
    const [segment] = segmentFiles(dir, topic)
    if (segment === undefined) throw new Error("no segment")
    const bytes = fs.readFileSync(segment)
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1)
    fs.writeFileSync(segment, bytes)
    const two = await startBroker({ dataDir: dir })
    try {
      const admin = client(two.brokers).admin()
      await admin.connect()
      expect((await admin.fetchTopicOffsets(topic))[0]?.high).toBe("2")
      await admin.disconnect()
    } finally {
      await two.close()
    }
  })

  it("does not reuse producer ids and remembers sequences after a restart", async () => {
    const dir = dataDir()
    const topic = uniqueTopic("idem-restart")
    const initPid = async (conn: RawConnection) =>
      (await conn.request(22, 1, 1, Buffer.from([0xff, 0xff, 0, 0, 0x75, 0x30]))).readBigInt64BE(10)
    const one = await startBroker({ dataDir: dir })
    const c1 = await RawConnection.open(one.port)
    await c1.request(3, 4, 2, Buffer.from([0, 0, 0, 1, 0, topic.length, ...Buffer.from(topic), 1]))
    const pid = await initPid(c1)
    const batch = () => recordBatch({ producerId: pid, producerEpoch: 0, baseSequence: 0, values: ["a", "b"] })
    expect(parseProduceResponse(await c1.request(0, 7, 3, produceBody(topic, 0, batch())))).toEqual({
      errorCode: 0,
      baseOffset: 0n
    })
    c1.close()
    await one.close()

    const two = await startBroker({ dataDir: dir })
    try {
      const c2 = await RawConnection.open(two.port)
      expect(await initPid(c2)).toBeGreaterThan(pid)
      expect(parseProduceResponse(await c2.request(0, 7, 4, produceBody(topic, 0, batch())))).toEqual({
        errorCode: 0,
        baseOffset: 0n
      })
      c2.close()
    } finally {
      await two.close()
    }
  })

  it("rolls segments and serves old ones from disk after a restart", async () => {
    const dir = dataDir()
    const topic = uniqueTopic("segments")
    const one = await startBroker({ dataDir: dir, brokerSegmentBytes: 32 * 1024 })
    const producer = client(one.brokers).producer()
    await producer.connect()
    const values = Array.from({ length: 1000 }, (_, i) => `${i}:${"y".repeat(200)}`)
    for (let i = 0; i < values.length; i += 50) {
      await producer.send({ topic, messages: values.slice(i, i + 50).map((value) => ({ value })) })
    }
    await producer.disconnect()
    await one.close()
    expect(segmentFiles(dir, topic).length).toBeGreaterThan(3)

    const two = await startBroker({ dataDir: dir, brokerSegmentBytes: 32 * 1024 })
    try {
      const read = await consume(client(two.brokers), topic, values.length)
      expect(read.map((r) => r.message.value?.toString())).toEqual(values)
    } finally {
      await two.close()
    }
  })
})
