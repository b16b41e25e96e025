/**
 * ListOffsets Request (v0-3) => replica_id isolation_level(v2+) [topics]
 *   topics => topic [partition timestamp max_num_offsets(v0 only)]
 * ListOffsets Response (v0-3) => throttle_time_ms(v2+) [responses]
 *   responses => topic [partition error_code old_style_offsets(v0: [INT64]) | timestamp offset (v1+)]
 *
 * timestamp -1 = latest (high watermark), -2 = earliest (log start offset).
 */
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export interface ListOffsetsRequest {
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly partitions: ReadonlyArray<{ readonly partition: number; readonly timestamp: number }>
  }>
}

export interface ListOffsetsPartitionResponse {
  readonly partition: number
  readonly errorCode: number
  readonly timestamp: number
  readonly offset: number
}

export const decodeListOffsetsRequest = (r: Reader, version: number): ListOffsetsRequest => {
  r.int32()
  if (version >= 2) r.int8()
  return {
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const partition = r.int32()
        const timestamp = Number(r.int64())
        if (version === 0) r.int32()
        return { partition, timestamp }
      })
    }))
  }
}

export const encodeListOffsetsResponse = (
  w: Writer,
  version: number,
  topics: ReadonlyArray<{ readonly name: string; readonly partitions: ReadonlyArray<ListOffsetsPartitionResponse> }>
): void => {
  if (version >= 2) w.int32(0)
  w.array(topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode)
      if (version === 0) {
        w.array(p.offset < 0 ? [] : [p.offset], (w, o) => {
          w.int64(BigInt(o))
        })
      } else {
        w.int64(BigInt(p.timestamp)).int64(BigInt(p.offset))
      }
    })
  })
}
