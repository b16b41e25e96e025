/**
 * Fetch Request (v0-11) => replica_id max_wait_time min_bytes max_bytes(v3+) isolation_level(v4+)
 *   session_id(v7+) session_epoch(v7+) [topics] [forgotten_topics_data](v7+) rack_id(v11+)
 *   topics => topic [partition current_leader_epoch(v9+) fetch_offset log_start_offset(v5+) partition_max_bytes]
 *   forgotten_topics_data => topic [partitions INT32]
 *
 * Fetch Response (v0-11) => throttle_time_ms(v1+) error_code(v7+) session_id(v7+) [responses]
 *   responses => topic [partition_header record_set]
 *   partition_header => partition error_code high_watermark last_stable_offset(v4+)
 *     log_start_offset(v5+) [aborted_transactions](v4+) preferred_read_replica(v11+)
 *   record_set => RECORDS (INT32 length, then the stored batches back to back)
 *
 * Sessions are not supported: session_id is always 0, which both clients accept.
 */
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export interface FetchRequest {
  readonly maxWaitMs: number
  readonly minBytes: number
  readonly maxBytes: number
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly partitions: ReadonlyArray<{
      readonly partition: number
      readonly fetchOffset: number
      readonly maxBytes: number
    }>
  }>
}

export interface FetchPartitionResponse {
  readonly partition: number
  readonly errorCode: number
  readonly highWatermark: number
  readonly logStartOffset: number
  readonly batches: ReadonlyArray<Buffer>
}

export const decodeFetchRequest = (r: Reader, version: number): FetchRequest => {
  r.int32()
  const maxWaitMs = r.int32()
  const minBytes = r.int32()
  const maxBytes = version >= 3 ? r.int32() : 0x7fffffff
  if (version >= 4) r.int8()
  if (version >= 7) {
    r.int32()
    r.int32()
  }
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const partition = r.int32()
      if (version >= 9) r.int32()
      const fetchOffset = Number(r.int64())
      if (version >= 5) r.int64()
      return { partition, fetchOffset, maxBytes: r.int32() }
    })
  }))
  if (version >= 7) r.array((r) => [r.string(), r.array((r) => r.int32())])
  if (version >= 11) r.string()
  return { maxWaitMs, minBytes, maxBytes, topics }
}

export const encodeFetchResponse = (
  w: Writer,
  version: number,
  topics: ReadonlyArray<{ readonly name: string; readonly partitions: ReadonlyArray<FetchPartitionResponse> }>
): void => {
  if (version >= 1) w.int32(0)
  if (version >= 7) w.int16(0).int32(0)
  w.array(topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => {
      const hw = BigInt(p.highWatermark)
      w.int32(p.partition).int16(p.errorCode).int64(hw)
      if (version >= 4) w.int64(hw)
      if (version >= 5) w.int64(BigInt(p.logStartOffset))
      if (version >= 4) w.int32(0)
      if (version >= 11) w.int32(-1)
      let size = 0
      for (const b of p.batches) size += b.length
      w.int32(size).raw(p.batches)
    })
  })
}
