/**
 * One append-only segment file `<baseOffset>.log` plus its sparse index `<baseOffset>.index`
 * (8-byte entries: int32 offset relative to the segment base, int32 file position, one entry per
 * ~4 KiB of log). Reads and writes are positional and synchronous: they hit the page cache and
 * stay off the Effect runtime on purpose (this is the per-request hot path).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import {
  BATCH_HEADER_BYTES,
  BATCH_LOG_OVERHEAD,
  baseOffsetAt,
  batchSizeAt,
  lastOffsetDeltaAt
} from "../protocol/RecordBatch.ts"

export const INDEX_INTERVAL_BYTES = 4096
const INDEX_ENTRY_BYTES = 8

export const segmentName = (baseOffset: number, ext: "log" | "index"): string =>
  `${String(baseOffset).padStart(20, "0")}.${ext}`

/** A stored batch located in a segment: absolute offsets and its bytes. */
export interface StoredBatch {
  readonly baseOffset: number
  readonly lastOffset: number
  readonly bytes: Buffer
}

export class Segment {
  readonly baseOffset: number
  readonly logPath: string
  readonly indexPath: string
  readonly fd: number
  /** Open only while the segment is active; sealed segments keep just the log file open. */
  private indexFd: number
  size: number
  /** Offset after the last batch in this segment. */
  nextOffset: number
  private readonly indexOffsets: Array<number> = []
  private readonly indexPositions: Array<number> = []
  private bytesSinceIndex = 0

  private constructor(dir: string, baseOffset: number, size: number) {
    this.baseOffset = baseOffset
    this.logPath = path.join(dir, segmentName(baseOffset, "log"))
    this.indexPath = path.join(dir, segmentName(baseOffset, "index"))
    this.fd = fs.openSync(this.logPath, "a+")
    this.indexFd = fs.openSync(this.indexPath, "a+")
    this.size = size
    this.nextOffset = baseOffset
  }

  static create(dir: string, baseOffset: number): Segment {
    fs.writeFileSync(path.join(dir, segmentName(baseOffset, "index")), "")
    fs.writeFileSync(path.join(dir, segmentName(baseOffset, "log")), "")
    return new Segment(dir, baseOffset, 0)
  }

  /**
   * Opens an existing segment. With `isValid`, every batch is checked (the caller checks CRCs)
   * and the file is truncated after the last valid batch (a torn tail).
   * The index is rebuilt from the scan; `onBatch` sees every batch header (producer state).
   */
  static open(
    dir: string,
    baseOffset: number,
    isValid: ((buf: Buffer, at: number, size: number) => boolean) | null,
    onBatch: ((buf: Buffer, at: number, size: number, baseOffset: number) => void) | null
  ): Segment {
    const logPath = path.join(dir, segmentName(baseOffset, "log"))
    const fileSize = fs.statSync(logPath).size
    const seg = new Segment(dir, baseOffset, fileSize)
    if (isValid === null && onBatch === null && seg.loadIndex()) {
      seg.nextOffset = seg.scanLastOffset()
      return seg
    }
    fs.ftruncateSync(seg.indexFd, 0)
    const chunk = Buffer.allocUnsafe(1 << 20)
    let pos = 0
    let ok = true
    while (ok && pos < fileSize) {
      const n = fs.readSync(seg.fd, chunk, 0, Math.min(chunk.length, fileSize - pos), pos)
      const view = chunk.subarray(0, n)
      let at = 0
      while (at + BATCH_LOG_OVERHEAD <= n) {
        const size = batchSizeAt(view, at)
        if (size < BATCH_HEADER_BYTES || pos + at + size > fileSize) {
          ok = false
          break
        }
        if (at + size > n) {
          if (at > 0) break
          const whole = Buffer.allocUnsafe(size)
          fs.readSync(seg.fd, whole, 0, size, pos)
          ok = seg.visit(whole, 0, size, pos, isValid, onBatch)
          if (ok) at = size
          break
        }
        if (!seg.visit(view, at, size, pos + at, isValid, onBatch)) {
          ok = false
          break
        }
        at += size
      }
      if (at === 0) break
      pos += at
    }
    const validEnd = pos
    if (validEnd < fileSize) {
      fs.ftruncateSync(seg.fd, validEnd)
      seg.size = validEnd
    }
    return seg
  }

  private visit(
    buf: Buffer,
    at: number,
    size: number,
    position: number,
    isValid: ((buf: Buffer, at: number, size: number) => boolean) | null,
    onBatch: ((buf: Buffer, at: number, size: number, baseOffset: number) => void) | null
  ): boolean {
    if (isValid !== null && !isValid(buf, at, size)) return false
    const base = baseOffsetAt(buf, at)
    if (base < this.nextOffset) return false
    onBatch?.(buf, at, size, base)
    this.noteIndex(base, position, size)
    this.nextOffset = base + lastOffsetDeltaAt(buf, at) + 1
    return true
  }

  private loadIndex(): boolean {
    const raw = fs.readFileSync(this.indexPath)
    if (raw.length % INDEX_ENTRY_BYTES !== 0) return false
    let prevOffset = -1
    let prevPos = -1
    for (let at = 0; at < raw.length; at += INDEX_ENTRY_BYTES) {
      const rel = raw.readInt32BE(at)
      const pos = raw.readInt32BE(at + 4)
      if (rel <= prevOffset || pos <= prevPos || pos >= this.size) {
        this.indexOffsets.length = 0
        this.indexPositions.length = 0
        return false
      }
      this.indexOffsets.push(this.baseOffset + rel)
      this.indexPositions.push(pos)
      prevOffset = rel
      prevPos = pos
    }
    this.bytesSinceIndex = INDEX_INTERVAL_BYTES
    return this.size === 0 || this.indexOffsets.length > 0
  }

  /** Next offset of a sealed segment: walk batch headers from the last index entry. */
  private scanLastOffset(): number {
    let pos = this.indexPositions.at(-1) ?? 0
    let next = this.baseOffset
    const head = Buffer.allocUnsafe(27)
    while (pos < this.size && fs.readSync(this.fd, head, 0, 27, pos) === 27) {
      next = baseOffsetAt(head, 0) + lastOffsetDeltaAt(head, 0) + 1
      pos += batchSizeAt(head, 0)
    }
    return next
  }

  private noteIndex(baseOffset: number, position: number, size: number): void {
    if (this.indexOffsets.length === 0 || this.bytesSinceIndex >= INDEX_INTERVAL_BYTES) {
      this.indexOffsets.push(baseOffset)
      this.indexPositions.push(position)
      const entry = Buffer.allocUnsafe(INDEX_ENTRY_BYTES)
      entry.writeInt32BE(baseOffset - this.baseOffset, 0)
      entry.writeInt32BE(position, 4)
      fs.writeSync(this.indexFd, entry)
      this.bytesSinceIndex = 0
    }
    this.bytesSinceIndex += size
  }

  /** Appends one stamped batch (page cache only; the partition's sync loop makes it durable). */
  append(batch: Buffer, baseOffset: number, lastOffset: number): void {
    const position = this.size
    let written = 0
    while (written < batch.length)
      written += fs.writeSync(this.fd, batch, written, batch.length - written, position + written)
    this.size += batch.length
    this.noteIndex(baseOffset, position, batch.length)
    this.nextOffset = lastOffset + 1
  }

  /** File position of the last indexed batch starting at or before `offset`. */
  private lookup(offset: number): number {
    let lo = 0
    let hi = this.indexOffsets.length - 1
    let found = 0
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1
      if ((this.indexOffsets[mid] as number) <= offset) {
        found = this.indexPositions[mid] as number
        lo = mid + 1
      } else hi = mid - 1
    }
    return found
  }

  /**
   * Whole batches starting with the one containing `offset`, up to `maxBytes` (at least one),
   * stopping before `limitOffset` (the high watermark).
   */
  read(offset: number, maxBytes: number, limitOffset: number): Array<StoredBatch> {
    let pos = this.lookup(offset)
    const out: Array<StoredBatch> = []
    let total = 0
    while (pos < this.size) {
      const len = Math.min(this.size - pos, Math.max(maxBytes - total, 0) + 2 * INDEX_INTERVAL_BYTES)
      const chunk = Buffer.allocUnsafe(len)
      const n = fs.readSync(this.fd, chunk, 0, len, pos)
      let at = 0
      while (at + 27 <= n) {
        const size = batchSizeAt(chunk, at)
        const base = baseOffsetAt(chunk, at)
        const last = base + lastOffsetDeltaAt(chunk, at)
        if (base >= limitOffset) return out
        if (last < offset) {
          at += size
          continue
        }
        if (out.length > 0 && total + size > maxBytes) return out
        if (at + size > n) {
          if (at > 0) break
          const whole = Buffer.allocUnsafe(size)
          fs.readSync(this.fd, whole, 0, size, pos)
          out.push({ baseOffset: base, lastOffset: last, bytes: whole })
          total += size
          at = size
          break
        }
        out.push({ baseOffset: base, lastOffset: last, bytes: chunk.subarray(at, at + size) })
        total += size
        at += size
      }
      if (at === 0) return out
      pos += at
      if (total >= maxBytes) return out
    }
    return out
  }

  /** fdatasync; the callback fires when the bytes are on disk. */
  sync(done: (err: Error | null) => void): void {
    fs.fdatasync(this.fd, done)
  }

  syncNow(): void {
    fs.fdatasyncSync(this.fd)
    if (this.indexFd >= 0) fs.fdatasyncSync(this.indexFd)
  }

  /** The segment will not grow any more: flush it and release the index file handle. */
  seal(): void {
    this.syncNow()
    if (this.indexFd >= 0) fs.closeSync(this.indexFd)
    this.indexFd = -1
  }

  close(): void {
    fs.closeSync(this.fd)
    if (this.indexFd >= 0) fs.closeSync(this.indexFd)
    this.indexFd = -1
  }

  delete(): void {
    this.close()
    fs.rmSync(this.logPath, { force: true })
    fs.rmSync(this.indexPath, { force: true })
  }

  mtimeMs(): number {
    return fs.fstatSync(this.fd).mtimeMs
  }
}
