import { createHash } from "node:crypto"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Arbitrary, Effect } from "effect"
import { enrichedEventArbitrary } from "../../src/domain/Arbitraries.ts"
import type { EnrichedEvent } from "../../src/domain/Catalog.ts"
import { epochMillis } from "../../src/domain/Timestamp.ts"
import { EventFileWriter } from "../../src/lake/EventFileWriter.ts"
import { lakeRoot } from "../../src/lake/LakeLayout.ts"
import type { EventLakeRow } from "../../src/lake/LakeTable.ts"
import { rawEventJson } from "../../src/lake/RawJson.ts"
import { syntheticEvent } from "./fixtures/events.ts"
import { lakeLayerFor, listFiles, tempDataDir } from "./helpers.ts"

const check = (text: string) => rawEventJson(text, JSON.parse(text))

describe("rawEventJson", () => {
  it.prop(
    "accepts what JSON.stringify writes, unless it escapes a surrogate",
    { event: enrichedEventArbitrary },
    ({ event }) => {
      const text = JSON.stringify(event)
      const accepted = check(text) !== undefined
      assert.strictEqual(accepted, !/\\u[dD]/.test(text), text)
    },
    { arbitrary: { runs: 300 } }
  )

  it("refuses what DuckDB would read differently from JSON.parse, or not at all", () => {
    const base = '{"a":"x","b":{"c":1.5,"d":[1,-0.25,{"e":"f"}]}}'
    assert.isDefined(check(base))
    // A repeated key: JSON.parse keeps the last, DuckDB refuses the file (or json_transform takes the first).
    assert.isUndefined(check('{"a":"x","a":"y","b":{"c":1.5,"d":[1,-0.25,{"e":"f"}]}}'))
    assert.isUndefined(check('{"a":"x","b":{"c":1.5,"c":2,"d":[1,-0.25,{"e":"f"}]}}'))
    // Not minified, or a line break that would split the NDJSON line.
    assert.isUndefined(check('{"a":"x", "b":{"c":1.5,"d":[1,-0.25,{"e":"f"}]}}'))
    assert.isUndefined(check('{"a":"x",\n"b":{"c":1.5,"d":[1,-0.25,{"e":"f"}]}}'))
    // Negative zero, however spelt; a negative fraction is fine.
    for (const zero of ["-0", "-0.0", "-0e3", "-0.000"]) {
      assert.isUndefined(check(`{"a":"x","b":{"c":${zero},"d":[]}}`), zero)
    }
    assert.isDefined(check('{"a":"x","b":{"c":-0.05,"d":[]}}'))
    // Surrogate escapes (lone or paired) take the slow path (JSON.stringify writes the character itself).
    assert.isUndefined(check('{"a":"\\ud800","b":{}}'))
    assert.isUndefined(check('{"a":"\\uD83D\\uDE00","b":{}}'))
    // An escaped backslash before "ud", quotes and colons inside strings are just text.
    assert.isDefined(check('{"a":"\\\\ud800","b":{"c":"say \\"k\\": v"}}'))
    assert.isDefined(check('{"a":"caf\u00e9 \u2028","b":{}}'))
    // A byte-order mark, nothing.
    assert.isUndefined(rawEventJson('\ufeff{"a":"x"}', { a: "x" }))
    assert.isUndefined(rawEventJson("", {}))
  })
})

const PROCESSED_AT = Date.UTC(2026, 10, 22, 12)

const rowsOf = (events: ReadonlyArray<EnrichedEvent>, raw: boolean): ReadonlyArray<EventLakeRow> =>
  events.map((event, i) => {
    const position = {
      kafkaPartition: 1,
      kafkaOffset: 500n + BigInt(i),
      isLate: i % 3 === 0,
      processedAtMs: PROCESSED_AT
    }
    const text = JSON.stringify(event)
    const rawJson = raw ? rawEventJson(text, JSON.parse(text)) : undefined
    return rawJson === undefined
      ? { event, ...position }
      : { rawJson, eventTimeMs: epochMillis(event.occurred_at_corrected), ...position }
  })

/** Every lake file with the SHA-256 of its bytes. */
const digest = (dataDir: string) =>
  listFiles(lakeRoot(dataDir)).map((f) => [
    f,
    createHash("sha256")
      .update(readFileSync(path.join(lakeRoot(dataDir), f)))
      .digest("hex")
  ])

const writeIn = (dataDir: string, rows: ReadonlyArray<EventLakeRow>) =>
  EventFileWriter.use((writer) =>
    writer.write({ topic: "events_raw", partition: 1, firstOffset: 500, lastOffset: 500 + rows.length - 1, rows })
  ).pipe(Effect.provide(lakeLayerFor(dataDir)))

describe("EventFileWriter with the record's JSON", () => {
  it.effect.prop(
    "writes the same files, byte for byte, as serialising the decoded events",
    { events: Arbitrary.array(enrichedEventArbitrary, { minLength: 1, maxLength: 12 }) },
    ({ events }) =>
      Effect.gen(function* () {
        const serialised = yield* tempDataDir
        const copied = yield* tempDataDir
        yield* writeIn(serialised, rowsOf(events, false))
        yield* writeIn(copied, rowsOf(events, true))
        assert.deepStrictEqual(digest(copied), digest(serialised))
      }),
    { timeout: 60_000, arbitrary: { runs: 15 } }
  )

  it.effect("synthetic (ingest-shaped) events take the raw path, and their files are the same", () =>
    Effect.gen(function* () {
      const events = Array.from({ length: 2000 }, (_, i) => syntheticEvent(i, Date.UTC(2026, 0, 5, 10), 7_200_000))
      const rows = rowsOf(events, true)
      assert.isTrue(rows.every((row) => row.rawJson !== undefined))
      const serialised = yield* tempDataDir
      const copied = yield* tempDataDir
      yield* writeIn(serialised, rowsOf(events, false))
      yield* writeIn(copied, rows)
      const files = digest(copied)
      assert.isAtLeast(files.length, 2)
      assert.deepStrictEqual(files, digest(serialised))
    })
  )
})
