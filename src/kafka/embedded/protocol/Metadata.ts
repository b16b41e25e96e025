/**
 * Metadata Request (v0-4) => [topics] allow_auto_topic_creation(v4+)
 *   v0: an empty array means all topics; v1+: null means all topics, empty means none.
 * Metadata Response (v0-4) => throttle_time_ms(v3+) [brokers] cluster_id(v2+) controller_id(v1+) [topic_metadata]
 *   brokers => node_id host port rack(v1+)
 *   topic_metadata => error_code topic is_internal(v1+) [partition_metadata]
 *   partition_metadata => error_code partition leader [replicas] [isr]
 */
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export interface MetadataRequest {
  /** null = all topics. */
  readonly topics: ReadonlyArray<string> | null
  readonly allowAutoCreate: boolean
}

export interface BrokerNode {
  readonly nodeId: number
  readonly host: string
  readonly port: number
}

export interface TopicMetadata {
  readonly errorCode: number
  readonly name: string
  readonly partitions: ReadonlyArray<number>
}

export const decodeMetadataRequest = (r: Reader, version: number): MetadataRequest => {
  const topics = r.nullableArray((r) => r.string())
  const allowAutoCreate = version >= 4 ? r.boolean() : true
  return { topics: version === 0 && topics?.length === 0 ? null : topics, allowAutoCreate }
}

export const encodeMetadataResponse = (
  w: Writer,
  version: number,
  broker: BrokerNode,
  clusterId: string,
  topics: ReadonlyArray<TopicMetadata>
): void => {
  if (version >= 3) w.int32(0)
  w.array([broker], (w, b) => {
    w.int32(b.nodeId).string(b.host).int32(b.port)
    if (version >= 1) w.nullableString(null)
  })
  if (version >= 2) w.nullableString(clusterId)
  if (version >= 1) w.int32(broker.nodeId)
  w.array(topics, (w, t) => {
    w.int16(t.errorCode).string(t.name)
    if (version >= 1) w.boolean(false)
    w.array(t.partitions, (w, p) => {
      w.int16(0).int32(p).int32(broker.nodeId)
      w.array([broker.nodeId], (w, id) => {
        w.int32(id)
      })
      w.array([broker.nodeId], (w, id) => {
        w.int32(id)
      })
    })
  })
}
