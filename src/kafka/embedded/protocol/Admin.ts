/**
 * CreateTopics Request (v0-3) => [topic num_partitions replication_factor [partition [replicas]]
 *   [config_name config_value]] timeout validate_only(v1+)
 * CreateTopics Response (v0-3) => throttle_time_ms(v2+) [topic error_code error_message(v1+)]
 *
 * DeleteTopics Request (v0-1) => [topic] timeout
 * DeleteTopics Response (v0-1) => throttle_time_ms(v1+) [topic error_code]
 *
 * InitProducerId Request (v0-1) => transactional_id transaction_timeout_ms
 * InitProducerId Response (v0-1) => throttle_time_ms error_code producer_id producer_epoch
 */
import type { Reader } from "./Reader.ts"
import type { Writer } from "./Writer.ts"

export interface CreateTopicsRequest {
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly numPartitions: number
    readonly replicationFactor: number
    readonly assignments: ReadonlyArray<{ readonly partition: number; readonly replicas: ReadonlyArray<number> }>
    readonly configs: ReadonlyArray<{ readonly name: string; readonly value: string | null }>
  }>
  readonly validateOnly: boolean
}

export const decodeCreateTopicsRequest = (r: Reader, version: number): CreateTopicsRequest => {
  const topics = r.array((r) => ({
    name: r.string(),
    numPartitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((r) => ({ partition: r.int32(), replicas: r.array((r) => r.int32()) })),
    configs: r.array((r) => ({ name: r.string(), value: r.nullableString() }))
  }))
  r.int32()
  return { topics, validateOnly: version >= 1 ? r.boolean() : false }
}

export const encodeCreateTopicsResponse = (
  w: Writer,
  version: number,
  topics: ReadonlyArray<{ readonly name: string; readonly errorCode: number; readonly message: string | null }>
): void => {
  if (version >= 2) w.int32(0)
  w.array(topics, (w, t) => {
    w.string(t.name).int16(t.errorCode)
    if (version >= 1) w.nullableString(t.message)
  })
}

export const decodeDeleteTopicsRequest = (r: Reader): Array<string> => {
  const topics = r.array((r) => r.string())
  r.int32()
  return topics
}

export const encodeDeleteTopicsResponse = (
  w: Writer,
  version: number,
  topics: ReadonlyArray<{ readonly name: string; readonly errorCode: number }>
): void => {
  if (version >= 1) w.int32(0)
  w.array(topics, (w, t) => {
    w.string(t.name).int16(t.errorCode)
  })
}

export const decodeInitProducerIdRequest = (r: Reader): { transactionalId: string | null } => {
  const transactionalId = r.nullableString()
  r.int32()
  return { transactionalId }
}

export const encodeInitProducerIdResponse = (
  w: Writer,
  errorCode: number,
  producerId: number,
  producerEpoch: number
): void => {
  w.int32(0).int16(errorCode).int64(BigInt(producerId)).int16(producerEpoch)
}
