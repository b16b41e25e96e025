/** Which compaction records are committed, and so which files are live. */
import { assert, describe, it } from "@effect/vitest"
import { committedRecords, type NamedRecord } from "../../src/lake/Manifest.ts"

const record = (name: string, output: string, inputs: ReadonlyArray<string>): NamedRecord => ({
  name,
  record: { output, inputs, rows: 0, createdAtMs: 0 }
})

describe("committedRecords", () => {
  it("a record is committed when its output exists, or was compacted by a committed record", () => {
    const r1 = record("r1", "c1", ["p1", "p2"])
    const r2 = record("r2", "c2", ["c1", "p3"])
    const r3 = record("r3", "c3", ["c2", "p4"])
    // r3 is mid-swap (its output not renamed in yet): c2 is live, so r2 and, through c1, r1 are committed.
    assert.deepStrictEqual([...committedRecords(new Set(["c2", "p4"]), [r3, r2, r1])].sort(), ["r1", "r2"])
    // After r3's commit everything is.
    assert.deepStrictEqual([...committedRecords(new Set(["c3"]), [r1, r2, r3])].sort(), ["r1", "r2", "r3"])
    // A rolled-back or in-progress swap is not: its inputs stay live.
    assert.deepStrictEqual([...committedRecords(new Set(["p1", "p2"]), [r1])], [])
  })
})
