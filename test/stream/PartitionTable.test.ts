/**
 * The processor's partition table: a partition's run, uncommitted plans and open commit set come and
 * go together, and the open sets' age and size start again on a commit or a restart.
 */
import { assert, describe, it } from "@effect/vitest"
import type { PartitionPlan, PreparedCommit } from "../../src/stream/Checkpointer.ts"
import { newOutput, type PartitionRun } from "../../src/stream/MicroBatch.ts"
import { PartitionTable, type PlannedBatch } from "../../src/stream/PartitionTable.ts"
import { emptyState } from "../../src/stream/State.ts"

const runOf = (partition: number): PartitionRun => ({
  topic: "events_raw",
  partition,
  state: emptyState(),
  nextOffset: 0n,
  seq: 0,
  maxEventTimeMs: null,
  unwritten: [],
  replays: []
})

const planOf = (partition: number, seq: number): PartitionPlan => ({
  topic: "events_raw",
  partition,
  seq,
  range: { first: BigInt(seq * 10), last: BigInt(seq * 10 + 9) },
  watermarkStartMs: 0,
  watermarkEndMs: 0,
  processingTimeMs: 0,
  commits: false
})

const plannedOf = (run: PartitionRun, seq: number, withRecords = true): PlannedBatch => {
  const out = newOutput(run)
  const plan = planOf(run.partition, seq)
  out.range = withRecords ? plan.range : null
  const commit: PreparedCommit = {
    topic: "events_raw",
    partition: run.partition,
    seq,
    nextOffset: 0n,
    maxEventTimeMs: null,
    unwrittenSessions: [],
    state: { kind: "line", text: "" }
  }
  return { out, plan, sessions: [], commit }
}

describe("partition table", () => {
  it("lists each partition's uncommitted plans in the plan file, a re-run plan once", () => {
    const table = new PartitionTable()
    table.add(runOf(1), [planOf(1, 4)])
    assert.deepStrictEqual(
      table.addPlan(planOf(1, 5))?.map((p) => p.seq),
      [4, 5]
    )
    // A re-run of plan 4: it is in the file already.
    assert.strictEqual(table.addPlan(planOf(1, 4)), undefined)
    table.dropCommitted(1, 4)
    assert.deepStrictEqual(
      table.addPlan(planOf(1, 6))?.map((p) => p.seq),
      [5, 6]
    )
    // Not held (taken over meanwhile): a file of that plan alone, nothing kept.
    assert.deepStrictEqual(
      table.addPlan(planOf(2, 1))?.map((p) => p.seq),
      [1]
    )
    assert.deepStrictEqual(table.partitions(), [1])
  })

  it("takes a partition's open commit set whole and opens a new one", () => {
    const table = new PartitionTable()
    const run = runOf(0)
    table.add(run, [])
    assert.isFalse(table.anyOpenCommitSet())
    table.addToCommitSet(plannedOf(run, 1, false))
    assert.isTrue(table.hasOpenCommitSet(0))
    assert.isFalse(table.commitSetHasRecords(0))
    table.addToCommitSet(plannedOf(run, 2))
    assert.isTrue(table.commitSetHasRecords(0))
    assert.deepStrictEqual(
      table.takeCommitSet(0).map((p) => p.plan.seq),
      [1, 2]
    )
    assert.isFalse(table.anyOpenCommitSet())
    assert.deepStrictEqual(table.takeCommitSet(0), [])
    assert.deepStrictEqual(table.takeCommitSet(7), [])
  })

  it("removes a partition's run, plans and open commit set in one operation; a new run starts clean", () => {
    const table = new PartitionTable()
    const first = runOf(2)
    table.add(first, [planOf(2, 1)])
    table.addToCommitSet(plannedOf(first, 2))
    table.remove(2)
    assert.strictEqual(table.run(2), undefined)
    assert.isFalse(table.holds(first))
    assert.isFalse(table.anyOpenCommitSet())
    // A batch planned before the removal was noticed joins no commit set.
    table.addToCommitSet(plannedOf(first, 3))
    assert.isFalse(table.anyOpenCommitSet())

    const second = runOf(2)
    table.add(second, [])
    assert.isTrue(table.holds(second))
    assert.isFalse(table.holds(first))
    assert.isFalse(table.hasOpenCommitSet(2))
    assert.deepStrictEqual(
      table.addPlan(planOf(2, 1))?.map((p) => p.seq),
      [1]
    )
  })

  it("iterates runs in the order they were added, and a removal while iterating is safe", () => {
    const table = new PartitionTable()
    for (const p of [2, 0, 1]) table.add(runOf(p), [])
    const seen: Array<number> = []
    for (const run of table.runs()) {
      seen.push(run.partition)
      if (run.partition === 2) table.remove(0)
    }
    assert.deepStrictEqual(seen, [2, 1])
    assert.deepStrictEqual(table.partitions(), [1, 2])
  })

  it("keeps the open sets' age and size until a commit, and clear forgets everything", () => {
    const table = new PartitionTable()
    const run = runOf(0)
    table.add(run, [planOf(0, 1)])
    assert.strictEqual(table.openedAtMs, null)
    table.keepOpen(1_000, 10)
    table.keepOpen(1_000, 5)
    assert.strictEqual(table.openedAtMs, 1_000)
    assert.strictEqual(table.openRecords, 15)
    table.closeOpen()
    assert.strictEqual(table.openedAtMs, null)
    assert.strictEqual(table.openRecords, 0)

    table.keepOpen(2_000, 3)
    table.addToCommitSet(plannedOf(run, 2))
    table.clear()
    assert.deepStrictEqual(table.partitions(), [])
    assert.isFalse(table.anyOpenCommitSet())
    assert.strictEqual(table.openedAtMs, null)
    assert.strictEqual(table.openRecords, 0)
  })
})
