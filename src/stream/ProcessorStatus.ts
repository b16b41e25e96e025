/**
 * What the processor reports (`StreamProcessor.status`): its counters, its watermark W and the
 * committed positions, kept up to date by the loop, the assignment and the lake commit.
 */

export interface StreamProcessorStatus {
  /** Partitions held now. */
  readonly assigned: ReadonlyArray<number>
  /** Next offset of every partition this instance held, as of its checkpoint (last commit or assignment). */
  readonly committed: ReadonlyMap<number, bigint>
  readonly watermarkMs: number
  readonly batches: number
  readonly records: number
  readonly restarts: number
  /** Clock time of the first and the latest micro-batch commit (null before any). */
  readonly firstCommitAtMs: number | null
  readonly lastCommitAtMs: number | null
  /** Records of the first committed micro-batch (a rate from first to last commit leaves them out). */
  readonly firstCommitRecords: number
}

export class ProcessorCounters {
  batches = 0
  records = 0
  restarts = 0
  /** The processor's W (ARCHITECTURE.md "Stream semantics: Watermark"): where the next micro-batch starts; it never decreases. */
  watermarkMs = Number.NEGATIVE_INFINITY
  firstCommitAtMs: number | null = null
  lastCommitAtMs: number | null = null
  firstCommitRecords = 0
  /** By partition: the next offset as of its checkpoint; kept after the partition is revoked. */
  readonly committed = new Map<number, bigint>()

  /** A commit finished at `atMs`, of `records` records. */
  committedAt(atMs: number, records: number): void {
    if (this.firstCommitAtMs === null) {
      this.firstCommitAtMs = atMs
      this.firstCommitRecords = records
    }
    this.lastCommitAtMs = atMs
  }

  snapshot(assigned: ReadonlyArray<number>): StreamProcessorStatus {
    return {
      assigned,
      committed: new Map(this.committed),
      watermarkMs: this.watermarkMs,
      batches: this.batches,
      records: this.records,
      restarts: this.restarts,
      firstCommitAtMs: this.firstCommitAtMs,
      lastCommitAtMs: this.lastCommitAtMs,
      firstCommitRecords: this.firstCommitRecords
    }
  }
}
