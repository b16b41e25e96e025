/**
 * The incremental checkpoint: a snapshot plus the changelog lines of the batches after it restores
 * exactly the state the live run has (per partition, tied by the processor's W as in the processor).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import { closeAll, type StreamRules } from "../../src/stream/Batch.ts"
import { applyChangelogLine, changelogLine, decodeChangelogLine, replayChangelog } from "../../src/stream/Changelog.ts"
import { decodeSnapshot, encodeState, snapshotLines } from "../../src/stream/Checkpoint.ts"
import { newOutput, stepAdvance, stepEvents } from "../../src/stream/MicroBatch.ts"
import { emptyState, type StreamState } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { BASE_MS, compareStrings, makeEvent, newRun, processingTimeOf, scenarioArbitrary } from "./fixtures.ts"

/** The state with every collection in a canonical order (a replay may insert in another order). */
const canonical = (state: StreamState) => {
  const json = encodeState(state)
  return {
    ...json,
    dedup: [...json.dedup].sort((a, b) => compareStrings(a[0], b[0])),
    users: [...json.users].sort((a, b) => compareStrings(a.userId, b.userId)),
    windows: [...json.windows].sort((a, b) => a.partition - b.partition || a.minuteStartMs - b.minuteStartMs)
  }
}

const reload = (state: StreamState): StreamState =>
  Effect.runSync(Effect.map(decodeSnapshot([...snapshotLines(state)]), (decoded) => decoded.state))

const NonNegativeInt = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 30 }))

describe("changelog", () => {
  it.prop(
    "snapshot at any batch + the later batches' lines = the live state, per partition",
    { scenario: scenarioArbitrary("stragglers"), cut: NonNegativeInt, skew: NonNegativeInt },
    ({ scenario, cut, skew }) => {
      const rules: StreamRules = scenario.rules
      const runs = [newRun(0), newRun(1)]
      const k = cut % (scenario.batches.length + 1)
      const snapshots = new Map<number, ReadonlyArray<string>>()
      const lines = new Map<number, Array<string>>(runs.map((r) => [r.partition, []]))
      let watermarkMs = Number.NEGATIVE_INFINITY
      const snapshotAll = () => {
        for (const run of runs) snapshots.set(run.partition, [...snapshotLines(run.state)])
      }
      scenario.batches.forEach((batch, i) => {
        if (i === k) snapshotAll()
        const outputs = runs.map((run) => {
          const out = newOutput<StreamEvent>(run)
          const events = batch.filter((e) => e.partition === run.partition)
          stepEvents(out, events, watermarkMs, { rules, processingTimeMs: processingTimeOf(i) })
          return out
        })
        // Another partition of the processor may move W further (skew minutes on some batches).
        const moved = i % 3 === 0 ? skew * 60_000 : 0
        const end = runs.reduce((w, run) => Math.max(w, run.state.watermarkMs + moved), watermarkMs)
        for (const out of outputs) {
          stepAdvance(out, end, rules)
          if (i >= k) {
            const line = changelogLine(i + 1, out.run.state, {
              events: out.lakeRows,
              windows: out.windowUpdates.values()
            })
            lines.get(out.run.partition)?.push(line)
          }
        }
        watermarkMs = end
      })
      if (k === scenario.batches.length) snapshotAll()
      for (const run of runs) {
        const restored = Effect.runSync(
          Effect.flatMap(decodeSnapshot(snapshots.get(run.partition) ?? []), ({ state }) =>
            replayChangelog(state, lines.get(run.partition) ?? [], k, run.partition, rules)
          )
        )
        assert.strictEqual(restored.seq, scenario.batches.length)
        assert.deepStrictEqual(canonical(restored.state), canonical(run.state))
        // And it goes on the same way: the end of input emits the same sessions and windows.
        const live = closeAll(run.state, rules)
        const replayed = closeAll(restored.state, rules)
        assert.deepStrictEqual(replayed.closedSessions, live.closedSessions)
        assert.deepStrictEqual(replayed.windowUpdates, live.windowUpdates)
      }
    },
    { arbitrary: { runs: 150, size: 100 } }
  )

  it("a copy recorded again in the batch whose start W evicted the first entry survives the replay", () => {
    const rules = { delayMs: 600_000, gapMs: 1_800_000, capMs: 86_400_000 }
    const first = makeEvent({ eventId: "a", userId: "u", eventTimeMs: BASE_MS })
    const copy = makeEvent({ eventId: "a", userId: "u", eventTimeMs: BASE_MS + 3_000_001 })
    const run = newRun(0)
    const lines: Array<string> = []
    // Another partition moved W to BASE + 50 min before the second batch: it evicts "a", then "a" comes again.
    const batches = [
      { events: [first], startMs: Number.NEGATIVE_INFINITY },
      { events: [copy], startMs: BASE_MS + 3_000_000 }
    ]
    batches.forEach(({ events, startMs }, i) => {
      const out = newOutput<StreamEvent>(run)
      stepEvents(out, events, startMs, { rules, processingTimeMs: BASE_MS + 4_000_000 })
      lines.push(changelogLine(i + 1, run.state, { events: out.lakeRows, windows: out.windowUpdates.values() }))
    })
    assert.strictEqual(run.state.dedup.entries.get("a")?.firstEventTimeMs, copy.eventTimeMs)
    const replayed = Effect.runSync(
      Effect.gen(function* () {
        let state = reload(emptyState())
        for (const text of lines) state = applyChangelogLine(state, yield* decodeChangelogLine(text), 0, rules)
        return state
      })
    )
    assert.deepStrictEqual(canonical(replayed), canonical(run.state))
  })

  it.effect("rejects a malformed line or a line out of sequence", () =>
    Effect.gen(function* () {
      const rules = { delayMs: 1, gapMs: 1, capMs: 1 }
      const good = changelogLine(1, emptyState(), { events: [], windows: [] })
      const bad = [
        "",
        "{",
        good.replace('"seq":1', '"seq":-1'),
        good.replace('"events":[]', '"events":[["a"]]'),
        good.replace('"events":[]', '"events":[["a",1.5]]')
      ]
      for (const text of bad) {
        assert.isTrue(Exit.isFailure(yield* Effect.exit(replayChangelog(emptyState(), [text], 0, 0, rules))), text)
      }
      assert.isTrue(Exit.isFailure(yield* Effect.exit(replayChangelog(emptyState(), [good, good], 0, 0, rules))))
      assert.isTrue(Exit.isSuccess(yield* Effect.exit(replayChangelog(emptyState(), [good], 0, 0, rules))))
    })
  )
})
