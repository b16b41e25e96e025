/** PartitionLog unit tests: group-commit high watermark, batch-aligned reads, segments, index, retention. */
import * as fs from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { PartitionLog } from "../../src/kafka/embedded/log/PartitionLog.ts"
import { validateBatch } from "../../src/kafka/embedded/protocol/RecordBatch.ts"
import { tempDataDir } from "./fixtures/broker.ts"
import { recordBatch } from "./fixtures/raw.ts"

const root = tempDataDir()
afterAll(() => fs.rmSync(root, { recursive: true, force: true }))

let n = 0
const openLog = (segmentBytes = 1 << 20) =>
  PartitionLog.open("t", 0, path.join(root, `p${n++}`), { segmentBytes, tailCacheBytes: 4096, onSync: () => undefined })

const append = (log: PartitionLog, values: ReadonlyArray<string>) => {
  const batch = recordBatch({ producerId: -1n, producerEpoch: -1, baseSequence: -1, values })
  const header = validateBatch(batch, 0, batch.length)
  if (header === null) throw new Error("invalid test batch")
  return log.append(batch, header)
}

describe("PartitionLog", () => {
  it("advances the high watermark only once the batch is fsynced", async () => {
    const log = openLog()
    const res = append(log, ["a", "b", "c"])
    expect(res.baseOffset).toBe(0)
    expect(log.logEndOffset).toBe(3)
    expect(log.highWatermark).toBe(0)
    expect(log.read(0, 1000).batches).toEqual([])
    await res.durable
    expect(log.highWatermark).toBe(3)
    await log.close()
  })

  it("serves whole batches starting with the one containing the fetch offset", async () => {
    const log = openLog()
    append(log, ["a", "b", "c"])
    await append(log, ["d", "e"]).durable
    const mid = log.read(1, 1)
    expect(mid.batches.map((b) => [b.baseOffset, b.lastOffset])).toEqual([[0, 2]])
    expect(log.read(3, 1 << 20).batches.map((b) => b.baseOffset)).toEqual([3])
    expect(log.read(5, 100).batches).toEqual([])
    expect(log.read(6, 100).errorCode).toBe(1)
    await log.close()
  })

  it("rolls segments, reads old ones through the sparse index and applies retention", async () => {
    const log = openLog(8 * 1024)
    let last = Promise.resolve(0)
    for (let i = 0; i < 200; i++) last = append(log, [`${i}:${"q".repeat(300)}`]).durable
    await last
    const dir = path.join(root, `p${n - 1}`)
    const segments = fs.readdirSync(dir).filter((f) => f.endsWith(".log"))
    expect(segments.length).toBeGreaterThan(5)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".index")).length).toBe(segments.length)
    // Offset 37 is long out of the 4 KiB tail cache: this read goes to disk.
    const [batch] = log.read(37, 1).batches
    expect(batch?.baseOffset).toBe(37)
    expect(batch?.bytes.includes(Buffer.from("37:qqq"))).toBe(true)

    const before = log.sizeBytes
    expect(log.applyRetention(Date.now(), 7 * 24 * 3_600_000, before / 2)).toBeGreaterThan(0)
    expect(log.sizeBytes).toBeLessThanOrEqual(before / 2 + 8 * 1024)
    expect(log.logStartOffset).toBeGreaterThan(0)
    expect(log.read(0, 100).errorCode).toBe(1)
    expect(log.read(log.logStartOffset, 100).batches[0]?.baseOffset).toBe(log.logStartOffset)

    const aged = log.applyRetention(Date.now() + 30 * 24 * 3_600_000, 7 * 24 * 3_600_000, -1)
    expect(aged).toBeGreaterThan(0)
    expect(fs.readdirSync(dir).filter((f) => f.endsWith(".log")).length).toBe(1)
    expect(log.highWatermark).toBe(200)
    await log.close()
  })
})
