/**
 * Produce Request (v0-7) => transactional_id(v3+) acks timeout [topic_data]
 *   transactional_id => NULLABLE_STRING; acks => INT16; timeout => INT32
 *   topic_data => topic [data]; data => partition record_set (RECORDS = nullable BYTES)
 *
 * Produce Response (v0-7) => [responses] throttle_time_ms(v1+)
 *   responses => topic [partition error_code base_offset log_append_time(v2+) log_start_offset(v5+)]
 *
 * The record set stays a view into the request frame: the broker appends it as received.
 */
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export interface ProduceRequest {
  readonly transactionalId: string | null
  readonly acks: number
  readonly timeoutMs: number
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly partitions: ReadonlyArray<{ readonly partition: number; readonly records: Buffer | null }>
  }>
}

export interface ProducePartitionResponse {
  readonly partition: number
  readonly errorCode: number
  readonly baseOffset: number
  readonly logStartOffset: number
}

export const decodeProduceRequest = (r: Reader, version: number): ProduceRequest => ({
  transactionalId: version >= 3 ? r.nullableString() : null,
  acks: r.int16(),
  timeoutMs: r.int32(),
  topics: r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => ({ partition: r.int32(), records: r.nullableBytes() }))
  }))
})

export const encodeProduceResponse = (
  w: Writer,
  version: number,
  topics: ReadonlyArray<{ readonly name: string; readonly partitions: ReadonlyArray<ProducePartitionResponse> }>
): void => {
  w.array(topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode).int64(BigInt(p.baseOffset))
      if (version >= 2) w.int64(-1n)
      if (version >= 5) w.int64(BigInt(p.logStartOffset))
    })
  })
  if (version >= 1) w.int32(0)
}
