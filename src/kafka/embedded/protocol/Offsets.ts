/**
 * OffsetCommit Request (v0-5) => group_id generation_id(v1+) member_id(v1+) retention_time(v2-4) [topics]
 *   topics => topic [partition offset timestamp(v1 only) metadata]
 * OffsetCommit Response (v0-5) => throttle_time_ms(v3+) [topic [partition error_code]]
 *
 * OffsetFetch Request (v0-4) => group_id [topics] (v2+: null = all committed)
 *   topics => topic [partition]
 * OffsetFetch Response (v0-4) => throttle_time_ms(v3+) [topic [partition offset metadata error_code]]
 *   error_code(v2+)
 */
import type {
  OffsetCommitRequest,
  OffsetCommitResult,
  OffsetFetchRequest,
  OffsetFetchResult
} from "../GroupCoordinator.ts"
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export const decodeOffsetCommitRequest = (r: Reader, version: number): OffsetCommitRequest => {
  const groupId = r.string()
  const generationId = version >= 1 ? r.int32() : -1
  const memberId = version >= 1 ? r.string() : ""
  if (version >= 2 && version <= 4) r.int64()
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const partition = r.int32()
      const offset = r.int64()
      if (version === 1) r.int64()
      return { partition, offset, metadata: r.nullableString() }
    })
  }))
  return { groupId, generationId, memberId, topics }
}

export const encodeOffsetCommitResponse = (w: Writer, version: number, topics: OffsetCommitResult): void => {
  if (version >= 3) w.int32(0)
  w.array(topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int16(p.errorCode)
    })
  })
}

export const decodeOffsetFetchRequest = (r: Reader): OffsetFetchRequest => ({
  groupId: r.string(),
  topics: r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }))
})

export const encodeOffsetFetchResponse = (w: Writer, version: number, res: OffsetFetchResult): void => {
  if (version >= 3) w.int32(0)
  w.array(res.topics, (w, t) => {
    w.string(t.name)
    w.array(t.partitions, (w, p) => {
      w.int32(p.partition).int64(p.offset).nullableString(p.metadata).int16(p.errorCode)
    })
  })
  if (version >= 2) w.int16(res.errorCode)
}
