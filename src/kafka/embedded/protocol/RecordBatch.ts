/**
 * RecordBatch v2 (magic 2) header. The broker never looks past the 61-byte header: batches are
 * stored and served exactly as the producer compressed them.
 *
 *   0 baseOffset int64 | 8 batchLength int32 | 12 partitionLeaderEpoch int32 | 16 magic int8
 *   17 crc uint32 (CRC-32C over [21, end)) | 21 attributes int16 | 23 lastOffsetDelta int32
 *   27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64 | 51 producerEpoch int16
 *   53 baseSequence int32 | 57 recordCount int32 | 61 records
 */
import { crc32c } from "./Crc32c.ts"

export const BATCH_HEADER_BYTES = 61
/** baseOffset + batchLength precede the part counted by batchLength. */
export const BATCH_LOG_OVERHEAD = 12

export interface BatchHeader {
  /** Whole batch size in bytes, including the 12-byte log overhead. */
  readonly size: number
  readonly lastOffsetDelta: number
  readonly producerId: number
  readonly producerEpoch: number
  readonly baseSequence: number
}

/** Size of the batch starting at `at` (from its length field), or -1 if the header is cut short. */
export const batchSizeAt = (buf: Buffer, at: number): number =>
  at + BATCH_LOG_OVERHEAD > buf.length ? -1 : BATCH_LOG_OVERHEAD + buf.readInt32BE(at + 8)

export const baseOffsetAt = (buf: Buffer, at: number): number => Number(buf.readBigInt64BE(at))

export const lastOffsetDeltaAt = (buf: Buffer, at: number): number => buf.readInt32BE(at + 23)

/**
 * Validates the batch at `buf[at, at+size)`: magic 2, consistent counts, and the CRC. Returns the
 * header, or null when the bytes are not a valid batch (corrupt or torn).
 */
export const validateBatch = (buf: Buffer, at: number, size: number): BatchHeader | null => {
  if (size < BATCH_HEADER_BYTES || at + size > buf.length) return null
  if (buf.readInt8(at + 16) !== 2) return null
  const lastOffsetDelta = buf.readInt32BE(at + 23)
  const recordCount = buf.readInt32BE(at + 57)
  if (lastOffsetDelta < 0 || recordCount < 0 || recordCount > lastOffsetDelta + 1) return null
  if (buf.readUInt32BE(at + 17) !== crc32c(buf, at + 21, at + size)) return null
  return {
    size,
    lastOffsetDelta,
    producerId: Number(buf.readBigInt64BE(at + 43)),
    producerEpoch: buf.readInt16BE(at + 51),
    baseSequence: buf.readInt32BE(at + 53)
  }
}

/** Header fields only, without the CRC check (for scanning already-validated data). */
export const readHeader = (buf: Buffer, at: number, size: number): BatchHeader => ({
  size,
  lastOffsetDelta: buf.readInt32BE(at + 23),
  producerId: Number(buf.readBigInt64BE(at + 43)),
  producerEpoch: buf.readInt16BE(at + 51),
  baseSequence: buf.readInt32BE(at + 53)
})

/** The two fields the broker owns: base offset and partition leader epoch (outside the CRC). */
export const stampBatch = (buf: Buffer, at: number, baseOffset: number): void => {
  buf.writeBigInt64BE(BigInt(baseOffset), at)
  buf.writeInt32BE(0, at + 12)
}
