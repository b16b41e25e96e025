/**
 * The processor's pieces without Kafka: one core state per partition tied by the processor's W equals
 * one state for all partitions (what makes per-partition checkpoints and handover exact); replay
 * feeding; the checkpoint files; the kpi_minute contract.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Result } from "effect"
import { afterAll } from "vitest"
import { closesMinute, decodeKpiUpdate, encodeKpiUpdate } from "../../src/domain/KpiMinute.ts"
import type { SessionRecord } from "../../src/domain/SessionRecord.ts"
import { Settings } from "../../src/domain/Settings.ts"
import type { ConsumedMessage } from "../../src/kafka/EventConsumer.ts"
import { advance, closeAll, type LakeRow, processBatch } from "../../src/stream/Batch.ts"
import { encodeState } from "../../src/stream/Checkpoint.ts"
import { Checkpointer, type PartitionCommit, type PreparedCommit, partitionDir } from "../../src/stream/Checkpointer.ts"
import { windowRecord } from "../../src/stream/KpiRecords.ts"
import {
  feedReplay,
  newOutput,
  type PartitionOutput,
  type PendingReplay,
  stepAdvance,
  stepEvents
} from "../../src/stream/MicroBatch.ts"
import { emptyState } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import type { WindowUpdate } from "../../src/stream/Windows.ts"
import {
  BASE_MS,
  closedWindowsOf,
  compareStrings,
  makeEvent,
  newRun,
  processingTimeOf,
  runBatches,
  scenarioArbitrary,
  sortSessions
} from "./fixtures.ts"

const lakeFlags = (rows: ReadonlyArray<LakeRow<StreamEvent>>) =>
  rows.map((r) => `${r.event.eventId}@${r.event.offset}:${r.isLate}`).sort(compareStrings)

describe("micro-batch per partition", () => {
  it.prop(
    "states per partition tied by the processor's W equal one state for all partitions",
    { scenario: scenarioArbitrary("stragglers") },
    ({ scenario }) => {
      const single = runBatches(scenario.batches, scenario.rules)
      const runs = [newRun(0), newRun(1)]
      let watermarkMs = Number.NEGATIVE_INFINITY
      const rows: Array<LakeRow<StreamEvent>> = []
      const sessions: Array<SessionRecord> = []
      const updates: Array<WindowUpdate> = []
      const take = (out: PartitionOutput<StreamEvent>) => {
        rows.push(...out.lakeRows)
        sessions.push(...out.closedSessions)
        updates.push(...out.windowUpdates.values())
      }
      scenario.batches.forEach((batch, i) => {
        const outputs = runs.map((run) => {
          const out = newOutput<StreamEvent>(run)
          const events = batch.filter((e) => e.partition === run.partition)
          stepEvents(out, events, watermarkMs, { rules: scenario.rules, processingTimeMs: processingTimeOf(i) })
          return out
        })
        const end = runs.reduce((w, run) => Math.max(w, run.state.watermarkMs), watermarkMs)
        for (const out of outputs) {
          stepAdvance(out, end, scenario.rules)
          take(out)
        }
        watermarkMs = end
      })
      for (const run of runs) {
        const flushed = closeAll(run.state, scenario.rules)
        sessions.push(...flushed.closedSessions)
        updates.push(...flushed.windowUpdates)
      }
      assert.deepStrictEqual(lakeFlags(rows), lakeFlags(single.lakeRows))
      assert.deepStrictEqual(sortSessions(sessions), sortSessions(single.sessions))
      assert.deepStrictEqual(closedWindowsOf(updates), closedWindowsOf(single.updates))
    },
    { arbitrary: { runs: 60 } }
  )

  it("advance never moves W back and settles as a batch would", () => {
    const rules = { delayMs: 600_000, gapMs: 1_800_000, capMs: 86_400_000 }
    const events = [0, 1, 2].map((k) =>
      makeEvent({ eventId: `e${k}`, userId: "u", eventTimeMs: BASE_MS + k * 60_000, offset: k })
    )
    const after = processBatch(emptyState(), events, { ...rules, processingTimeMs: BASE_MS + 3_600_000 })
    const w = after.state.watermarkMs
    const back = advance(after.state, w - 1_000_000, rules)
    assert.strictEqual(back.state.watermarkMs, w)
    assert.deepStrictEqual(back.closedSessions, [])
    const forward = advance(back.state, BASE_MS + 2 * 60_000 + 1_800_000, rules)
    assert.deepStrictEqual(
      forward.closedSessions.map((s) => [s.sessionKey, s.eventCount]),
      [[`u:${BASE_MS}`, 3]]
    )
    assert.deepStrictEqual(
      forward.windowUpdates.filter((u) => u.closed).map((u) => u.minuteStartMs),
      [BASE_MS, BASE_MS + 60_000, BASE_MS + 120_000]
    )
  })
})

const message = (offset: number): ConsumedMessage => ({
  offset: BigInt(offset),
  key: null,
  value: new Uint8Array(0),
  headers: {},
  timestamp: 0
})

describe("replay feeding", () => {
  const plan = {
    topic: "events_raw",
    partition: 0,
    seq: 4,
    range: { first: 10n, last: 14n },
    watermarkStartMs: 0,
    watermarkEndMs: 0,
    processingTimeMs: 0,
    commits: true
  }

  it("collects the planned range across deliveries, once each, and hands back what follows", () => {
    const replay: PendingReplay<ConsumedMessage> = { plan, messages: [] }
    const first = feedReplay(replay, [10, 11, 12].map(message))
    assert.isFalse(first.complete)
    assert.deepStrictEqual(first.rest, [])
    const second = feedReplay(replay, [12, 13, 14, 15, 16].map(message))
    assert.isTrue(second.complete)
    assert.deepStrictEqual(
      second.rest.map((m) => m.offset),
      [15n, 16n]
    )
    assert.deepStrictEqual(
      replay.messages.map((m) => m.offset),
      [10n, 11n, 12n, 13n, 14n]
    )
  })

  it("a plan without records (W only moved) is complete at once", () => {
    const fed = feedReplay({ plan: { ...plan, range: null }, messages: [] }, [message(10)])
    assert.isTrue(fed.complete)
    assert.deepStrictEqual(fed.rest.length, 1)
  })
})

const noDelta = { events: [], windows: [] }

describe("checkpoint files", () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "launchpad-checkpointer-"))
  const layer = Checkpointer.layer.pipe(Layer.provide(Settings.layerWith({ dataDir })))
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }))

  it.effect("a plan newer than the commit is pending; the commit record restores the state", () =>
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      const rules = { delayMs: 600_000, gapMs: 1_800_000, capMs: 86_400_000 }
      const events = [makeEvent({ eventId: "a", userId: "u", eventTimeMs: BASE_MS, partition: 2 })]
      const state = processBatch(emptyState(), events, { ...rules, processingTimeMs: BASE_MS }).state
      const commit = (c: PartitionCommit) => checkpointer.writeCommit([checkpointer.prepareCommit(c, noDelta)])
      yield* commit({
        topic: "events_raw",
        partition: 2,
        seq: 3,
        nextOffset: 41n,
        maxEventTimeMs: BASE_MS,
        state,
        unwrittenSessions: []
      })
      const plan = {
        topic: "events_raw",
        partition: 2,
        seq: 4,
        range: { first: 41n, last: 90n },
        watermarkStartMs: state.watermarkMs,
        watermarkEndMs: state.watermarkMs + 5,
        processingTimeMs: BASE_MS + 1,
        commits: false
      }
      const next = { ...plan, seq: 5, range: { first: 91n, last: 95n }, commits: true }
      yield* checkpointer.writePlans([plan, next])
      const read = yield* checkpointer.read("events_raw", 2)
      assert.deepStrictEqual(read.pendingPlans, [plan, next])
      assert.strictEqual(read.commit?.nextOffset, 41n)
      assert.deepStrictEqual(read.commit === undefined ? undefined : encodeState(read.commit.state), encodeState(state))

      // Plans left of the commit are done; the rest must continue it one by one.
      yield* commit({
        topic: "events_raw",
        partition: 2,
        seq: 4,
        nextOffset: 91n,
        maxEventTimeMs: BASE_MS,
        state,
        unwrittenSessions: []
      })
      assert.deepStrictEqual((yield* checkpointer.read("events_raw", 2)).pendingPlans, [next])
      yield* checkpointer.writePlans([next, { ...next, seq: 7 }])
      assert.strictEqual((yield* Effect.flip(checkpointer.read("events_raw", 2)))._tag, "CheckpointError")
      assert.deepStrictEqual(yield* checkpointer.read("events_raw", 7), { commit: undefined, pendingPlans: [] })
    }).pipe(Effect.provide(layer))
  )

  it.effect("commits after the first append changelog lines; a read replays them and ignores an uncommitted tail", () =>
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      const rules = { delayMs: 600_000, gapMs: 1_800_000, capMs: 86_400_000 }
      const run = newRun(3)
      const dir = partitionDir(dataDir, "events_raw", 3)
      const commit = () => ({
        topic: "events_raw",
        partition: 3,
        seq: run.seq,
        nextOffset: run.nextOffset,
        maxEventTimeMs: run.maxEventTimeMs,
        state: run.state,
        unwrittenSessions: []
      })
      const changelogs = () => fs.readdirSync(dir).filter((name) => name.startsWith("changelog-"))
      let held: PreparedCommit | undefined
      for (let i = 0; i < 6; i++) {
        const out = newOutput<StreamEvent>(run)
        const events = [0, 1, 2].map((k) =>
          makeEvent({ eventId: `e${i}-${k}`, userId: `u${k}`, eventTimeMs: BASE_MS + i * 300_000 + k, partition: 3 })
        )
        stepEvents(out, events, run.state.watermarkMs, { rules, processingTimeMs: BASE_MS + i })
        run.seq++
        run.nextOffset += 3n
        const prepared = checkpointer.prepareCommit(commit(), {
          events: out.lakeRows,
          windows: out.windowUpdates.values()
        })
        // Batches 1 and 2 commit together, as a lake interval's batches do.
        if (i !== 0) yield* checkpointer.writeCommit(i === 1 && held !== undefined ? [held, prepared] : [prepared])
        held = prepared
        if (i === 2) {
          // A batch that crashed after its line: the tail no commit record counts.
          const [log = ""] = changelogs()
          fs.appendFileSync(path.join(dir, log), '{"seq":99,"watermarkMs":1,"events":[["x"')
        }
        if (i === 3) {
          const read = yield* checkpointer.read("events_raw", 3)
          assert.deepStrictEqual(
            read.commit === undefined ? undefined : encodeState(read.commit.state),
            encodeState(run.state)
          )
        }
      }
      // The read before batch 4 made its commit a new snapshot, and the old files went.
      assert.strictEqual(fs.readdirSync(dir).filter((name) => name.startsWith("snapshot-")).length, 1)
      assert.strictEqual(changelogs().length, 1)
      const read = yield* checkpointer.read("events_raw", 3)
      assert.strictEqual(read.commit?.seq, 6)
      assert.deepStrictEqual(
        read.commit === undefined ? undefined : encodeState(read.commit.state),
        encodeState(run.state)
      )
    }).pipe(Effect.provide(layer))
  )

  it.effect("the last instance to claim a partition owns it", () =>
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      assert.isFalse(yield* checkpointer.isOwner("events_raw", 1, "a"))
      yield* checkpointer.claim("events_raw", 1, "a")
      assert.isTrue(yield* checkpointer.isOwner("events_raw", 1, "a"))
      yield* checkpointer.claim("events_raw", 1, "b")
      assert.isFalse(yield* checkpointer.isOwner("events_raw", 1, "a"))
      assert.isTrue(yield* checkpointer.isOwner("events_raw", 1, "b"))
    }).pipe(Effect.provide(layer))
  )

  it.effect("a damaged commit record is a CheckpointError, not a fresh start", () =>
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      const dir = partitionDir(dataDir, "events_raw", 5)
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, "commit.json"), '{"version":2,"topic":"events_raw"')
      const error = yield* Effect.flip(checkpointer.read("events_raw", 5))
      assert.strictEqual(error._tag, "CheckpointError")
    }).pipe(Effect.provide(layer))
  )

  it.effect("a version-1 commit record (full state inline) is refused by name", () =>
    Effect.gen(function* () {
      const checkpointer = yield* Checkpointer
      const dir = partitionDir(dataDir, "events_raw", 6)
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(path.join(dir, "commit.json"), '{"version":1,"topic":"events_raw","partition":6,"seq":3}')
      const error = yield* Effect.flip(checkpointer.read("events_raw", 6))
      assert.strictEqual(error._tag, "CheckpointError")
      assert.include(error.message, "version-1 checkpoint")
    }).pipe(Effect.provide(layer))
  )
})

describe("kpi_minute contract", () => {
  it("window updates round-trip through the Schema; a minute closes when W reaches its end", () => {
    const update: WindowUpdate = {
      minuteStartMs: BASE_MS,
      partition: 1,
      closed: true,
      measures: {
        events: 3,
        eventsByType: { page_view: 2, purchase: 1 },
        distinctUsers: 2,
        sessionsStarted: 1,
        configuratorStarts: 0,
        configuratorCompletions: 0,
        configuratorShares: 0,
        funnelSteps: { purchased: 1 },
        purchases: 1,
        revenueByCurrency: { EUR: 49_900 },
        latencyBuckets: [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]
      }
    }
    const record = windowRecord(update, 3, BASE_MS + 60_000)
    const decoded = decodeKpiUpdate(encodeKpiUpdate(record))
    assert.deepStrictEqual(Result.getOrThrow(decoded), record)
    assert.strictEqual(record.minute, "2026-11-22T00:00:00.000Z")
    assert.isTrue(Result.isFailure(decodeKpiUpdate('{"kind":"window"}')))
    assert.isTrue(closesMinute(BASE_MS + 60_000, BASE_MS))
    assert.isFalse(closesMinute(BASE_MS + 59_999, BASE_MS))
  })
})
