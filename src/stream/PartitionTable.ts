/**
 * What the processor holds of each partition of events_raw, in one structure, so that a partition
 * comes and goes in one operation (assignment, revocation, a takeover found by the ownership check,
 * a restart of the consumer):
 *
 * - its run: the core's state and position as of its last planned batch (MicroBatch.ts);
 * - its uncommitted plans: those after the last commit this instance knows of, which every plan file
 *   it writes for the partition lists again (Checkpointer.ts);
 * - its open commit set: the batches planned since its last commit. The micro-batches in between only
 *   plan and publish; the next one that commits writes the whole set as one lake file set, named by
 *   its offset range, and commits it (LakeCommitter.ts).
 *
 * Across partitions it keeps when the oldest open commit set opened and how many records the open
 * sets hold: with the trigger settings they decide when a micro-batch commits.
 */
import type { SessionRecord } from "../domain/SessionRecord.ts"
import type { PartitionPlan, PreparedCommit } from "./Checkpointer.ts"
import type { PartitionOutput, PartitionRun } from "./MicroBatch.ts"

/** A partition's micro-batch once planned: what its lake commit needs, fixed when it was planned. */
export interface PlannedBatch {
  readonly out: PartitionOutput
  readonly plan: PartitionPlan
  /** On the batch that commits: the sessions to write with the events (closed since the last file). */
  readonly sessions: ReadonlyArray<SessionRecord>
  readonly commit: PreparedCommit
}

interface Entry {
  readonly run: PartitionRun
  uncommitted: Array<PartitionPlan>
  commitSet: Array<PlannedBatch>
}

export class PartitionTable {
  private readonly entries = new Map<number, Entry>()
  private opened: number | null = null
  private records = 0

  /** Holds `run` from now on (in place of anything held before), with the plans its checkpoint left unfinished. */
  add(run: PartitionRun, pendingPlans: ReadonlyArray<PartitionPlan>): void {
    // The plan file keeps listing them until they are committed again.
    this.entries.set(run.partition, { run, uncommitted: [...pendingPlans], commitSet: [] })
  }

  /** Forgets the partition: its run, its uncommitted plans and its open commit set. */
  remove(partition: number): void {
    this.entries.delete(partition)
  }

  /** Forgets every partition and the open commit sets' age and size (a restart of the consumer). */
  clear(): void {
    this.entries.clear()
    this.opened = null
    this.records = 0
  }

  run(partition: number): PartitionRun | undefined {
    return this.entries.get(partition)?.run
  }

  /** Whether `run` is still what the table holds for its partition (not revoked or re-read meanwhile). */
  holds(run: PartitionRun): boolean {
    return this.entries.get(run.partition)?.run === run
  }

  /** The runs, in the order their partitions were added; removing one while iterating is safe. */
  *runs(): IterableIterator<PartitionRun> {
    for (const entry of this.entries.values()) yield entry.run
  }

  /** The partitions held, ascending. */
  partitions(): Array<number> {
    return [...this.entries.keys()].sort((a, b) => a - b)
  }

  /**
   * Adds a plan to the partition's uncommitted ones and returns the list its plan file must hold now,
   * or undefined when the plan is there already (a re-run). A partition no longer held (taken over
   * while the batch ran) gets a file of this plan alone, and keeps no record of it.
   */
  addPlan(plan: PartitionPlan): ReadonlyArray<PartitionPlan> | undefined {
    const entry = this.entries.get(plan.partition)
    if (entry === undefined) return [plan]
    if (entry.uncommitted.some((p) => p.seq === plan.seq)) return undefined
    entry.uncommitted.push(plan)
    return [...entry.uncommitted]
  }

  /** Drops the partition's uncommitted plans up to `seq` (a commit record covers them now). */
  dropCommitted(partition: number, seq: number): void {
    const entry = this.entries.get(partition)
    if (entry !== undefined) entry.uncommitted = entry.uncommitted.filter((p) => p.seq > seq)
  }

  /** Adds a planned batch to its partition's open commit set (none once the partition is no longer held). */
  addToCommitSet(planned: PlannedBatch): void {
    this.entries.get(planned.plan.partition)?.commitSet.push(planned)
  }

  /** Takes the partition's open commit set (empty when none is open); the next batch opens a new one. */
  takeCommitSet(partition: number): ReadonlyArray<PlannedBatch> {
    const entry = this.entries.get(partition)
    if (entry === undefined) return []
    const set = entry.commitSet
    entry.commitSet = []
    return set
  }

  hasOpenCommitSet(partition: number): boolean {
    return (this.entries.get(partition)?.commitSet.length ?? 0) > 0
  }

  /** Whether the partition's open commit set has a batch with records (one whose offsets can name a file). */
  commitSetHasRecords(partition: number): boolean {
    return this.entries.get(partition)?.commitSet.some((p) => p.out.range !== null) ?? false
  }

  anyOpenCommitSet(): boolean {
    for (const entry of this.entries.values()) if (entry.commitSet.length > 0) return true
    return false
  }

  /** Clock time the oldest open commit set opened at (null when none is open). */
  get openedAtMs(): number | null {
    return this.opened
  }

  /** Records planned into the open commit sets. */
  get openRecords(): number {
    return this.records
  }

  /** A micro-batch planned `records` more without committing: the open sets grow, opened at `openedAtMs`. */
  keepOpen(openedAtMs: number, records: number): void {
    this.opened = openedAtMs
    this.records += records
  }

  /** A micro-batch committed: the open sets' age and size start again. */
  closeOpen(): void {
    this.opened = null
    this.records = 0
  }
}
