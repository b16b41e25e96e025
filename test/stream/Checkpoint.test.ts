/** The state round-trips through the checkpoint, and a checkpoint between batches changes nothing (S5). */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Schema } from "effect"
import {
  type BatchResult,
  closeAll,
  defaultStreamRules,
  processBatch,
  type StreamRules
} from "../../src/stream/Batch.ts"
import { decodeSnapshot, encodeState, snapshotLines } from "../../src/stream/Checkpoint.ts"
import { emptyState, type StreamState } from "../../src/stream/State.ts"
import type { StreamEvent } from "../../src/stream/StreamEvent.ts"
import { BASE_MS, makeEvent, processingTimeOf, scenarioArbitrary } from "./fixtures.ts"

/** Through the snapshot file format: NDJSON lines decoded by the Schemas. */
const reload = (state: StreamState): StreamState =>
  Effect.runSync(Effect.map(decodeSnapshot([...snapshotLines(state)]), (decoded) => decoded.state))

/** What a batch shows the outside world (lake rows by id and flag, sessions, window updates, metrics). */
const observable = (result: BatchResult<StreamEvent>) => ({
  lakeRows: result.lakeRows.map((r) => [r.event.eventId, r.event.offset, r.isLate]),
  closedSessions: result.closedSessions,
  windowUpdates: result.windowUpdates,
  metrics: result.metrics,
  state: encodeState(result.state)
})

const runFrom = (
  state: StreamState,
  batches: ReadonlyArray<ReadonlyArray<StreamEvent>>,
  firstIndex: number,
  rules: StreamRules
) => {
  const outputs: Array<ReturnType<typeof observable>> = []
  let current = state
  batches.forEach((batch, i) => {
    const result = processBatch(current, batch, { ...rules, processingTimeMs: processingTimeOf(firstIndex + i) })
    outputs.push(observable(result))
    current = result.state
  })
  const flushed = closeAll(current, rules)
  return { outputs, flushed: { ...flushed, state: encodeState(flushed.state) } }
}

const NonNegativeInt = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 20 }))

describe("checkpoint", () => {
  it.prop(
    "processing [b1, b2] equals processing b1, encode → JSON → decode, then b2",
    { scenario: scenarioArbitrary("stragglers"), cut: NonNegativeInt },
    ({ scenario, cut }) => {
      const k = cut % (scenario.batches.length + 1)
      let state = emptyState()
      scenario.batches.slice(0, k).forEach((batch, i) => {
        state = processBatch(state, batch, { ...scenario.rules, processingTimeMs: processingTimeOf(i) }).state
      })
      // `reload` reads `state` before the live run takes ownership of it.
      const reloaded = reload(state)
      const tail = scenario.batches.slice(k)
      assert.deepStrictEqual(runFrom(reloaded, tail, k, scenario.rules), runFrom(state, tail, k, scenario.rules))
    },
    { arbitrary: { runs: 150, size: 100 } }
  )

  it.prop(
    "encode ∘ decode is the identity on checkpoints",
    { scenario: scenarioArbitrary("stragglers"), cut: NonNegativeInt },
    ({ scenario, cut }) => {
      let state = emptyState()
      scenario.batches.slice(0, cut).forEach((batch, i) => {
        state = processBatch(state, batch, { ...scenario.rules, processingTimeMs: processingTimeOf(i) }).state
      })
      const encoded = encodeState(state)
      assert.deepStrictEqual(encodeState(reload(state)), encoded)
    },
    { arbitrary: { runs: 100, size: 100 } }
  )

  it("keeps the infinite watermarks before the first event and after closeAll", () => {
    assert.strictEqual(encodeState(emptyState()).watermarkMs, "-Infinity")
    assert.strictEqual(reload(emptyState()).watermarkMs, Number.NEGATIVE_INFINITY)
    const flushed = closeAll(emptyState(), { delayMs: 1, gapMs: 1, capMs: 1 }).state
    assert.strictEqual(reload(flushed).watermarkMs, Number.POSITIVE_INFINITY)
  })

  it.effect("reads a format-2 snapshot: the funnel's event counts of open windows start over, the rest is kept", () =>
    Effect.gen(function* () {
      const started = makeEvent({ eventId: "a", userId: "ada", eventTimeMs: BASE_MS, eventType: "quiz_started" })
      const { state: open } = processBatch(emptyState(), [started], {
        ...defaultStreamRules,
        processingTimeMs: BASE_MS
      })
      const lines = [...snapshotLines(open)]
      const v2 = lines.map((line) =>
        line.replace('"version":3', '"version":2').replace(/"funnelSteps":\{[^}]*\}/, '"funnelSteps":{"started":7}')
      )
      assert.include(v2.join("\n"), '"funnelSteps":{"started":7}')
      const { state, format } = yield* decodeSnapshot(v2)
      assert.strictEqual(format, 2)
      const [window] = encodeState(state).windows
      assert.deepStrictEqual(window?.measures.funnelSteps, {})
      assert.strictEqual(window?.measures.configuratorStarts, 1)
    })
  )

  it.effect("rejects a malformed snapshot with a SchemaError naming the path", () =>
    Effect.gen(function* () {
      const event = makeEvent({ eventId: "a", userId: "ada", eventTimeMs: BASE_MS })
      const state = processBatch(emptyState(), [event], {
        delayMs: 600_000,
        gapMs: 1_800_000,
        capMs: 86_400_000,
        processingTimeMs: BASE_MS
      }).state
      const [header = "", ...parts] = [...snapshotLines(state)]
      const good = encodeState(state)
      const [window] = good.windows
      const bad: ReadonlyArray<ReadonlyArray<string>> = [
        [],
        ["null"],
        [header.replace('"version":3', '"version":4'), ...parts],
        [JSON.stringify({ version: 1, watermarkMs: "soon" }), ...parts],
        [header, JSON.stringify({ dedup: [["a", BASE_MS, -1]] })],
        [header, "{"],
        window === undefined
          ? []
          : [
              header,
              JSON.stringify({ windows: [{ ...window, measures: { ...window.measures, latencyBuckets: [1] } }] })
            ],
        window === undefined
          ? []
          : [header, JSON.stringify({ windows: [{ ...window, measures: { ...window.measures, events: 1.5 } }] })]
      ]
      for (const lines of bad) {
        const exit = yield* Effect.exit(decodeSnapshot(lines))
        assert.isTrue(Exit.isFailure(exit), JSON.stringify(lines))
      }
      const exit = yield* Effect.exit(decodeSnapshot([header, JSON.stringify({ dedup: [["a", BASE_MS, -1]] })]))
      assert.include(String(Exit.isFailure(exit) ? exit.cause : ""), "dedup")
    })
  )
})
