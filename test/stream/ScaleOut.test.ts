/**
 * Scale-out and failover: two processors in one consumer group share the 3 partitions of events_raw;
 * stopping one (its fiber interrupted) hands its partitions to the other, which resumes from the
 * checkpoint with the partitions' dedup, session and window state. The result equals one processor's:
 * the same event_ids in the lake (no loss, no duplicate, copies sent across the handover dropped),
 * the same sessions and the same closed windows.
 *
 * The sentinels (days ahead) close every session and window, and make late whatever a processor has
 * not processed yet in its other partitions (W is the largest over its partitions). So they go in
 * only once the events before them are committed, and the one-instance run reads the whole log as one
 * micro-batch: a micro-batch cut between one partition's sentinel and another's backlog would make
 * that backlog late and the output depend on the cut (seen under load: a partition without sessions).
 */
import { randomUUID } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Result } from "effect"
import type { Kafka as KafkaJs } from "kafkajs"
import { afterAll, beforeAll } from "vitest"
import type { EnrichedEvent } from "../../src/domain/Catalog.ts"
import { decodeKpiUpdate } from "../../src/domain/KpiMinute.ts"
import { TopicNames } from "../../src/kafka/Topics.ts"
import { eventsTable, sessionsTable } from "../../src/lake/LakeTable.ts"
import { startBroker, type TestBroker } from "../kafka/fixtures/broker.ts"
import { client } from "../kafka/fixtures/kafkajs.ts"
import { syntheticEvent } from "../lake/fixtures/events.ts"
import {
  createTopics,
  endOffsets,
  lakeQuery,
  PARTITIONS,
  produceEvents,
  produceMessages,
  type RunningProcessor,
  readTopic,
  removeTempDirs,
  startProcessor,
  tempDir,
  waitCommitted,
  waitFor
} from "./fixtures/pipeline.ts"

let broker: TestBroker
let kafka: KafkaJs

beforeAll(async () => {
  broker = await startBroker({ partitions: PARTITIONS })
  kafka = client(broker.brokers)
  await createTopics(kafka)
})

afterAll(async () => {
  await broker?.close()
  removeTempDirs()
})

const BASE_MS = Date.UTC(2026, 10, 21, 9)
/** Five minutes of event time, less than the 10 min watermark delay: nothing is late, whatever the batch split. */
const SPREAD_MS = 5 * 60_000

const eventOf = (i: number): EnrichedEvent => ({ ...syntheticEvent(i, BASE_MS, SPREAD_MS), user_id: `user-${i % 40}` })

const range = (from: number, to: number): Array<number> => Array.from({ length: to - from }, (_, k) => from + k)

const sentinels = () =>
  Array.from({ length: PARTITIONS }, (_, p) => {
    const event = { ...eventOf(0), event_id: randomUUID(), user_id: `sentinel-${p}` }
    const t = new Date(BASE_MS + 5 * 86_400_000).toISOString()
    return {
      partition: p,
      key: event.user_id,
      value: JSON.stringify({ ...event, occurred_at: t, occurred_at_corrected: t, received_at: t, sent_at: t })
    }
  })

/** Final (minute, partition) windows among kpi_minute records (upserted): events, users, sessions started. */
const closedWindows = (values: ReadonlyArray<string>): Array<string> => {
  const latest = new Map<string, string>()
  for (const value of values) {
    const u = Result.getOrThrow(decodeKpiUpdate(value))
    if (u.kind !== "window" || !u.closed) continue
    const m = u.measures
    latest.set(`${u.minute} p${u.partition}`, `${m.events}/${m.distinctUsers}/${m.sessionsStarted}`)
  }
  return [...latest].map(([key, value]) => `${key}: ${value}`).sort()
}

const lakeContent = async (dataDir: string) => {
  const lake = lakeQuery(dataDir)
  try {
    const ids = await lake.query(eventsTable, (r) => `SELECT event_id FROM ${r} ORDER BY event_id`)
    const sessions = await lake.query(
      sessionsTable,
      (r) => `SELECT session_key, event_count FROM ${r} ORDER BY session_key`
    )
    return { ids: ids.map((r) => String(r.event_id)), sessions }
  } finally {
    await lake.close()
  }
}

const assignedOf = async (processors: ReadonlyArray<RunningProcessor>) =>
  (await Promise.all(processors.map((p) => p.status()))).map((s) => s.assigned)

describe("scale-out", () => {
  it.effect(
    "two instances share the partitions; stopping one hands them over; the output equals one instance's",
    () =>
      Effect.promise(async () => {
        const dataDir = tempDir("stream-scale")
        const groupId = `scale-${randomUUID()}`
        const kpiStart = (await readTopic(kafka, TopicNames.kpiMinute)).length
        const a = await startProcessor({ brokers: broker.brokers, dataDir, groupId })
        const b = await startProcessor({ brokers: broker.brokers, dataDir, groupId })
        await waitFor("both instances to hold partitions", async () => {
          const [ofA = [], ofB = []] = await assignedOf([a, b])
          return ofA.length > 0 && ofB.length > 0 && ofA.length + ofB.length === PARTITIONS
        })

        await produceEvents(kafka, range(0, 3_000).map(eventOf))
        await waitCommitted(kafka, [a, b])
        await a.close()
        await waitFor("the survivor to hold every partition", async () => {
          const [ofB = []] = await assignedOf([b])
          return ofB.length === PARTITIONS
        })
        // Copies of earlier events (client retries) arrive after the handover: the survivor's dedup
        // state came with the partitions, so they are dropped.
        await produceEvents(
          kafka,
          [...range(3_000, 6_000), ...range(0, 6_000).filter((i) => i % 97 === 0)].map(eventOf)
        )
        await waitCommitted(kafka, [b])
        await produceMessages(kafka, sentinels())
        await waitCommitted(kafka, [b])
        await b.close()
        const kpiShared = (await readTopic(kafka, TopicNames.kpiMinute)).slice(kpiStart)

        const singleDir = tempDir("stream-single")
        const logRecords = [...(await endOffsets(kafka, TopicNames.eventsRaw)).values()].reduce((n, o) => n + o, 0n)
        const single = await startProcessor({
          brokers: broker.brokers,
          dataDir: singleDir,
          groupId: `single-${randomUUID()}`,
          // The whole log in one micro-batch: cut by its size, never by the (long) trigger interval.
          triggerEvents: Number(logRecords),
          triggerMs: 60_000
        })
        await waitCommitted(kafka, [single])
        await single.close()
        const kpiSingle = (await readTopic(kafka, TopicNames.kpiMinute)).slice(kpiStart + kpiShared.length)

        const shared = await lakeContent(dataDir)
        const alone = await lakeContent(singleDir)
        assert.strictEqual(shared.ids.length, 6_000 + PARTITIONS)
        assert.strictEqual(new Set(shared.ids).size, shared.ids.length, "no duplicate event_id")
        assert.deepStrictEqual(shared.ids, alone.ids)
        assert.deepStrictEqual(shared.sessions, alone.sessions)
        const windows = closedWindows(kpiShared)
        assert.isAbove(windows.length, 5)
        assert.deepStrictEqual(windows, closedWindows(kpiSingle))
      }),
    60_000
  )
})
