/**
 * The log of one topic-partition: segments, a bounded in-memory tail cache, idempotent-producer
 * state and the group-commit sync loop. Plain TypeScript (no Effect) because every produce and
 * fetch goes through it; the broker wraps lifecycle and metrics in Effect around it.
 *
 * The high watermark is the durable end: it advances only after fdatasync, so consumers never see
 * a record that a crash could take back, and one fdatasync covers every append made meanwhile.
 */
import * as fs from "node:fs"
import { ErrorCode } from "../protocol/ErrorCodes.ts"
import { type BatchHeader, readHeader, stampBatch, validateBatch } from "../protocol/RecordBatch.ts"
import { ProducerState } from "./ProducerState.ts"
import { Segment, type StoredBatch } from "./Segment.ts"

export interface PartitionConfig {
  readonly segmentBytes: number
  /** Bytes of recent batches kept in memory for fetches. */
  readonly tailCacheBytes: number
  /** Called with the sync duration whenever an fdatasync completes. */
  readonly onSync: (seconds: number) => void
}

export interface AppendResult {
  readonly errorCode: number
  readonly baseOffset: number
  /** Resolves when the batch is durable (or immediately for duplicates and errors). */
  readonly durable: Promise<number>
}

export type ReadResult =
  | { readonly errorCode: 0; readonly batches: ReadonlyArray<StoredBatch> }
  | { readonly errorCode: number; readonly batches: readonly [] }

const DONE: Promise<number> = Promise.resolve(ErrorCode.NONE)

/** The memory a cached batch keeps reachable: its own bytes, or the buffer it is a view of. */
const retainedBytes = (batch: StoredBatch): number => Math.max(batch.bytes.length, batch.bytes.buffer.byteLength)

export class PartitionLog {
  readonly topic: string
  readonly partition: number
  private readonly dir: string
  private readonly config: PartitionConfig
  private readonly segments: Array<Segment>
  private readonly producers: ProducerState
  private readonly tail: Array<StoredBatch> = []
  private tailBytes = 0
  /** Log end offset: next offset to assign. */
  private leo: number
  /** High watermark: everything below is on disk. */
  private hw: number
  private syncing = false
  private syncWaiters: Array<(errorCode: number) => void> = []
  private readonly listeners = new Set<() => void>()
  private closed = false

  private constructor(
    topic: string,
    partition: number,
    dir: string,
    config: PartitionConfig,
    segments: Array<Segment>,
    producers: ProducerState
  ) {
    this.producers = producers
    this.topic = topic
    this.partition = partition
    this.dir = dir
    this.config = config
    this.segments = segments
    this.leo = this.active().nextOffset
    this.hw = this.leo
  }

  /** Opens (recovering) or creates the partition directory. */
  static open(topic: string, partition: number, dir: string, config: PartitionConfig): PartitionLog {
    fs.mkdirSync(dir, { recursive: true })
    const bases = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".log"))
      .map((f) => Number(f.slice(0, -4)))
      .filter((n) => Number.isSafeInteger(n))
      .sort((a, b) => a - b)
    const producers = new ProducerState()
    const segments: Array<Segment> = []
    const rebuild = (buf: Buffer, at: number, size: number, baseOffset: number) => {
      const h = readHeader(buf, at, size)
      producers.record(h.producerId, h.producerEpoch, h.baseSequence, h.lastOffsetDelta, baseOffset)
    }
    bases.forEach((base, i) => {
      const last = i === bases.length - 1
      // The last segment may have a torn tail: check every CRC there. Producer state only needs
      // recent batches, so the two newest segments are scanned for it.
      const valid = last ? (buf: Buffer, at: number, size: number) => validateBatch(buf, at, size) !== null : null
      const seg = Segment.open(dir, base, valid, i >= bases.length - 2 ? rebuild : null)
      if (!last) seg.seal()
      segments.push(seg)
    })
    if (segments.length === 0) segments.push(Segment.create(dir, 0))
    return new PartitionLog(topic, partition, dir, config, segments, producers)
  }

  private active(): Segment {
    return this.segments[this.segments.length - 1] as Segment
  }

  get logStartOffset(): number {
    return (this.segments[0] as Segment).baseOffset
  }

  get highWatermark(): number {
    return this.hw
  }

  get logEndOffset(): number {
    return this.leo
  }

  get sizeBytes(): number {
    let total = 0
    for (const s of this.segments) total += s.size
    return total
  }

  /**
   * Appends one validated batch (`header` from `validateBatch`), stamping its base offset. The
   * write is synchronous (page cache), so appends keep arrival order; durability is the promise.
   */
  append(batch: Buffer, header: BatchHeader): AppendResult {
    if (this.closed) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, durable: DONE }
    const check = this.producers.check(
      header.producerId,
      header.producerEpoch,
      header.baseSequence,
      header.lastOffsetDelta
    )
    if (check._tag === "Reject") return { errorCode: check.errorCode, baseOffset: -1, durable: DONE }
    if (check._tag === "Duplicate") {
      // The original may still be waiting for its fsync; answer once it is durable too.
      return { errorCode: ErrorCode.NONE, baseOffset: check.baseOffset, durable: this.waitDurable(check.baseOffset) }
    }
    const baseOffset = this.leo
    const lastOffset = baseOffset + header.lastOffsetDelta
    stampBatch(batch, 0, baseOffset)
    let seg = this.active()
    if (seg.size > 0 && seg.size + batch.length > this.config.segmentBytes) seg = this.roll()
    seg.append(batch, baseOffset, lastOffset)
    this.leo = lastOffset + 1
    this.producers.record(
      header.producerId,
      header.producerEpoch,
      header.baseSequence,
      header.lastOffsetDelta,
      baseOffset
    )
    // The batch stays a view of the request frame: copying it out cost a third of the broker's CPU
    // under ingest load (garbage collection driven by the copies). The cache is charged for the
    // whole frame it keeps alive instead (see `cache`).
    this.cache({ baseOffset, lastOffset, bytes: batch })
    return { errorCode: ErrorCode.NONE, baseOffset, durable: this.requestSync() }
  }

  private roll(): Segment {
    this.active().seal()
    const seg = Segment.create(this.dir, this.leo)
    this.segments.push(seg)
    return seg
  }

  /**
   * Keeps the newest batches for tailing consumers, within `tailCacheBytes` of memory. A batch sliced
   * from a request frame keeps that frame alive, so it is charged for the frame; several partitions'
   * batches of one frame each pay for all of it, which errs on the side of less memory.
   */
  private cache(batch: StoredBatch): void {
    this.tail.push(batch)
    this.tailBytes += retainedBytes(batch)
    while (this.tail.length > 1 && this.tailBytes > this.config.tailCacheBytes) {
      const dropped = this.tail.shift() as StoredBatch
      this.tailBytes -= retainedBytes(dropped)
    }
  }

  private waitDurable(offset: number): Promise<number> {
    return offset < this.hw ? DONE : this.requestSync()
  }

  /** Group commit: one fdatasync serves every append made before it started. */
  private requestSync(): Promise<number> {
    return new Promise((resolve) => {
      this.syncWaiters.push(resolve)
      if (!this.syncing) this.startSync()
    })
  }

  private startSync(): void {
    this.syncing = true
    const waiters = this.syncWaiters
    this.syncWaiters = []
    const target = this.leo
    const started = performance.now()
    this.active().sync((err) => {
      this.syncing = false
      this.config.onSync((performance.now() - started) / 1000)
      if (err === null && target > this.hw) {
        this.hw = target
        for (const l of this.listeners) l()
      }
      const code = err === null ? ErrorCode.NONE : ErrorCode.UNKNOWN_SERVER_ERROR
      for (const w of waiters) w(code)
      if (this.syncWaiters.length > 0 && !this.closed) this.startSync()
    })
  }

  /** Registers a callback for high-watermark advances; returns the unregister function. */
  onAdvance(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Whole batches from the one containing `offset`, at most `maxBytes` but at least one. */
  read(offset: number, maxBytes: number): ReadResult {
    if (offset < this.logStartOffset || offset > this.hw) {
      return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, batches: [] }
    }
    if (offset === this.hw) return { errorCode: ErrorCode.NONE, batches: [] }
    const first = this.tail[0]
    if (first !== undefined && first.baseOffset <= offset)
      return { errorCode: ErrorCode.NONE, batches: this.readTail(offset, maxBytes) }
    let i = this.segments.length - 1
    while (i > 0 && (this.segments[i] as Segment).baseOffset > offset) i--
    const seg = this.segments[i] as Segment
    const batches = seg.read(offset, maxBytes, this.hw)
    if (batches.length === 0 && i < this.segments.length - 1) {
      // `offset` fell in a gap at the end of a segment: continue with the next one.
      const next = this.segments[i + 1] as Segment
      return { errorCode: ErrorCode.NONE, batches: next.read(next.baseOffset, maxBytes, this.hw) }
    }
    return { errorCode: ErrorCode.NONE, batches }
  }

  private readTail(offset: number, maxBytes: number): Array<StoredBatch> {
    let lo = 0
    let hi = this.tail.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if ((this.tail[mid] as StoredBatch).lastOffset < offset) lo = mid + 1
      else hi = mid
    }
    const out: Array<StoredBatch> = []
    let total = 0
    for (let i = lo; i < this.tail.length; i++) {
      const b = this.tail[i] as StoredBatch
      if (b.baseOffset >= this.hw || (out.length > 0 && total + b.bytes.length > maxBytes)) break
      out.push(b)
      total += b.bytes.length
    }
    return out
  }

  /** Offset of the first batch whose max timestamp is >= `timestamp` (ListOffsets by time). */
  offsetForTimestamp(timestamp: number): number {
    let offset = this.logStartOffset
    while (offset < this.hw) {
      const r = this.read(offset, 1 << 20)
      if (r.batches.length === 0) break
      for (const b of r.batches) {
        if (Number(b.bytes.readBigInt64BE(35)) >= timestamp) return b.baseOffset
        offset = b.lastOffset + 1
      }
    }
    return this.hw
  }

  /** Retention: deletes whole non-active segments older than `maxAgeMs` or beyond `maxBytes`. */
  applyRetention(now: number, maxAgeMs: number, maxBytes: number): number {
    let deleted = 0
    let size = this.sizeBytes
    while (this.segments.length > 1) {
      const oldest = this.segments[0] as Segment
      const tooOld = now - oldest.mtimeMs() > maxAgeMs
      const tooBig = maxBytes >= 0 && size - oldest.size >= maxBytes
      if (!tooOld && !tooBig) break
      this.segments.shift()
      size -= oldest.size
      oldest.delete()
      deleted++
    }
    return deleted
  }

  /** Waits for the last fdatasync, then closes the files (broker shutdown or topic deletion). */
  async close(): Promise<void> {
    if (this.closed) return
    await this.requestSync()
    this.closed = true
    for (const s of this.segments) s.close()
    for (const l of this.listeners) l()
  }
}
