/**
 * Crash recovery (guarantee 3, S5): the processor runs as a child process over 100k events and is
 * killed with SIGKILL at random points three times; restarted, it finishes. The lake then holds exactly
 * the input event_ids (no loss, no duplicate), and at no moment was a partial file visible: a poller
 * opens every visible `.parquet` with DuckDB throughout the run.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type { Kafka as KafkaJs } from "kafkajs"
import { afterAll, beforeAll } from "vitest"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { isDataFile } from "../../src/lake/LakeLayout.ts"
import { eventsTable, sessionsTable } from "../../src/lake/LakeTable.ts"
import { startBroker, type TestBroker } from "../kafka/fixtures/broker.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"
import { eventIdOf, syntheticEvent } from "../lake/fixtures/events.ts"
import { committedTotal, type ProcessorChild, spawnProcessor } from "./fixtures/child.ts"
import { createTopics, endOffsets, lakeQuery, removeTempDirs, sleep, tempDir, waitFor } from "./fixtures/pipeline.ts"
import { produceRaw } from "./fixtures/rawProduce.ts"

const EVENTS = 100_000
const BASE_MS = Date.UTC(2026, 10, 20, 8)
/** Two hours of event time in a scrambled order: many events arrive behind W and are flagged late. */
const SPREAD_MS = 2 * 3_600_000

let broker: TestBroker
let kafka: KafkaJs

beforeAll(async () => {
  broker = await startBroker({ partitions: 3 })
  kafka = client(broker.brokers)
  await createTopics(kafka)
})

afterAll(async () => {
  await broker?.close()
  removeTempDirs()
})

const listParquet = (dir: string): Array<string> => {
  const out: Array<string> = []
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name)
      if (entry.isDirectory()) walk(full)
      else if (entry.name.endsWith(".parquet")) out.push(full)
    }
  }
  if (fs.existsSync(dir)) walk(dir)
  return out
}

describe("crash recovery", () => {
  it.effect(
    "kill -9 at random points, restart: the lake has exactly the input event_ids, never a partial file",
    () =>
      Effect.promise(async () => {
        await produceRaw(broker.port, EVENTS, (i) => {
          const event = syntheticEvent(i, BASE_MS, SPREAD_MS)
          return { partition: (i % 5000) % 3, value: JSON.stringify(event) }
        })
        const ends = await endOffsets(kafka, TopicNames.eventsRaw)
        const total = [...ends.values()].reduce((a, b) => a + b, 0n)
        assert.strictEqual(total, BigInt(EVENTS))

        const dataDir = tempDir("stream-crash")
        const lake = lakeQuery(dataDir)
        const opened = new Set<string>()
        const failures: Array<string> = []
        let polling = true
        const poller = (async () => {
          while (polling) {
            for (const file of listParquet(path.join(dataDir, "lake"))) {
              if (!isDataFile(path.basename(file))) failures.push(`not a data file name: ${file}`)
              const stat = fs.statSync(file, { throwIfNoEntry: false })
              if (stat === undefined) continue
              const key = `${file}@${stat.mtimeMs}:${stat.size}`
              if (opened.has(key)) continue
              opened.add(key)
              await lake
                .run(`SELECT count(*) AS n FROM read_parquet('${file.replaceAll("'", "''")}')`)
                .catch((e: unknown) => failures.push(`${file}: ${String(e)}`))
            }
            await sleep(30)
          }
        })()

        const start = (): ProcessorChild =>
          spawnProcessor({
            brokers: broker.brokers,
            dataDir,
            groupId: "crash-test",
            triggerEvents: 8_000,
            sessionTimeoutMs: 1_500
          })
        try {
          for (const threshold of [15_000, 40_000, 65_000]) {
            const child = start()
            const target = BigInt(threshold + Math.floor(Math.random() * 10_000))
            await waitFor(
              `progress to ${target}`,
              async () => committedTotal(child.latest()) >= target || child.process.exitCode !== null,
              60_000
            )
            // Somewhere inside a later batch: planning, writing Parquet, publishing or committing.
            await sleep(Math.floor(Math.random() * 400))
            child.process.kill("SIGKILL")
            await child.exited
          }
          const last = start()
          await waitFor(
            "the restarted processor to commit everything",
            async () => committedTotal(last.latest()) >= total,
            60_000
          ).catch((e: unknown) => {
            throw new Error(`${String(e)}\n${last.stderr()}`)
          })
          last.process.kill("SIGTERM")
          await last.exited
        } finally {
          polling = false
          await poller
        }

        assert.deepStrictEqual(failures, [])
        assert.isAbove(opened.size, 0)
        const rows = await lake.query(eventsTable, (r) => `SELECT event_id FROM ${r}`)
        const ids = rows.map((r) => String(r.event_id))
        assert.strictEqual(ids.length, EVENTS, "one row per input event")
        const expected = new Set(Array.from({ length: EVENTS }, (_, i) => eventIdOf(i)))
        assert.strictEqual(new Set(ids).size, EVENTS, "no duplicate event_id")
        assert.isTrue(
          ids.every((id) => expected.has(id)),
          "only input event_ids"
        )
        const [sessions] = await lake.query(
          sessionsTable,
          (r) => `SELECT count(*)::INTEGER AS n, count(DISTINCT session_key)::INTEGER AS keys FROM ${r}`
        )
        assert.strictEqual(sessions?.n, sessions?.keys, "no session written twice")
        await lake.close()
      }),
    90_000
  )
})
