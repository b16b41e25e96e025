/**
 * API keys and the advertised version ranges: only non-flexible versions, each from 0, so that
 * kafkajs and librdkafka 2.0.2 negotiate one version per API without compact encodings.
 *
 * ApiVersions Request (v0-2) => (empty body)
 * ApiVersions Response (v0-2) => error_code [api_key min_version max_version] throttle_time_ms(v1+)
 *
 * librdkafka opens with ApiVersions v3 (flexible). It gets error 35 and the table, and retries
 * with v2. The table is sent in the v3 (flexible) shape it parses v3 responses with:
 *   error_code [api_key min_version max_version TAG_BUFFER](compact) throttle_time_ms TAG_BUFFER
 * A v0-shaped body would also make it fall back, but only through a logged protocol parse failure.
 */
import type { Writer } from "./Writer.ts"

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22
} as const

/** api key -> highest advertised version (the lowest is always 0). */
export const MAX_VERSION: ReadonlyMap<number, number> = new Map([
  [ApiKey.Produce, 7],
  [ApiKey.Fetch, 11],
  [ApiKey.ListOffsets, 3],
  [ApiKey.Metadata, 4],
  [ApiKey.OffsetCommit, 5],
  [ApiKey.OffsetFetch, 4],
  [ApiKey.FindCoordinator, 2],
  [ApiKey.JoinGroup, 5],
  [ApiKey.Heartbeat, 3],
  [ApiKey.LeaveGroup, 1],
  [ApiKey.SyncGroup, 3],
  [ApiKey.DescribeGroups, 2],
  [ApiKey.ListGroups, 2],
  [ApiKey.ApiVersions, 2],
  [ApiKey.CreateTopics, 3],
  [ApiKey.DeleteTopics, 1],
  [ApiKey.InitProducerId, 1]
])

export const isSupported = (apiKey: number, version: number): boolean => {
  const max = MAX_VERSION.get(apiKey)
  return max !== undefined && version >= 0 && version <= max
}

export const encodeApiVersionsResponse = (w: Writer, version: number, errorCode: number): void => {
  w.int16(errorCode)
  if (version >= 3) {
    w.uvarint(MAX_VERSION.size + 1)
    for (const [key, max] of MAX_VERSION) w.int16(key).int16(0).int16(max).uvarint(0)
    w.int32(0).uvarint(0)
    return
  }
  w.array([...MAX_VERSION], (w, [key, max]) => {
    w.int16(key).int16(0).int16(max)
  })
  if (version >= 1) w.int32(0)
}
