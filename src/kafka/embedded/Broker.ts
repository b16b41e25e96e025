/**
 * Request dispatch: decodes each request, applies it to the topic store or the group coordinator,
 * and encodes the response body. Plain TypeScript on purpose: it runs once per request on the
 * produce/fetch hot path, where an Effect fiber per request would cost more than the work itself.
 * The group APIs are not hot and call the coordinator's Effects through `runEffect`.
 */
import type { Effect } from "effect"
import type { GroupCoordinatorService } from "./GroupCoordinator.ts"
import type { PartitionLog } from "./log/PartitionLog.ts"
import { isValidTopicName, type TopicStore } from "./log/TopicStore.ts"
import type { BrokerMetrics } from "./Metrics.ts"
import {
  decodeCreateTopicsRequest,
  decodeDeleteTopicsRequest,
  decodeInitProducerIdRequest,
  encodeCreateTopicsResponse,
  encodeDeleteTopicsResponse,
  encodeInitProducerIdResponse
} from "./protocol/Admin.ts"
import { ApiKey, encodeApiVersionsResponse, isSupported } from "./protocol/ApiVersions.ts"
import { ErrorCode } from "./protocol/ErrorCodes.ts"
import {
  decodeFetchRequest,
  encodeFetchResponse,
  type FetchPartitionResponse,
  type FetchRequest
} from "./protocol/Fetch.ts"
import {
  decodeDescribeGroupsRequest,
  decodeFindCoordinatorRequest,
  decodeHeartbeatRequest,
  decodeJoinGroupRequest,
  decodeLeaveGroupRequest,
  decodeSyncGroupRequest,
  encodeDescribeGroupsResponse,
  encodeErrorOnlyResponse,
  encodeFindCoordinatorResponse,
  encodeJoinGroupResponse,
  encodeListGroupsResponse,
  encodeSyncGroupResponse
} from "./protocol/Groups.ts"
import type { RequestHeader } from "./protocol/Header.ts"
import { decodeListOffsetsRequest, encodeListOffsetsResponse } from "./protocol/ListOffsets.ts"
import {
  type BrokerNode,
  decodeMetadataRequest,
  encodeMetadataResponse,
  type TopicMetadata
} from "./protocol/Metadata.ts"
import {
  decodeOffsetCommitRequest,
  decodeOffsetFetchRequest,
  encodeOffsetCommitResponse,
  encodeOffsetFetchResponse
} from "./protocol/Offsets.ts"
import { decodeProduceRequest, encodeProduceResponse, type ProducePartitionResponse } from "./protocol/Produce.ts"
import type { Reader } from "./protocol/Reader.ts"
import { type BatchHeader, batchSizeAt, validateBatch } from "./protocol/RecordBatch.ts"
import { Writer } from "./protocol/Writer.ts"

/** A request this broker does not implement; the server closes the connection. */
export class UnsupportedRequest extends Error {
  override readonly name = "UnsupportedRequest"
}

export interface BrokerOptions {
  readonly nodeId: number
  readonly clusterId: string
  readonly autoCreateTopics: boolean
  readonly defaultPartitions: number
}

/** A response body, or null when the request gets no response (Produce with acks=0). */
export type Response = Writer | null

export class Broker {
  private readonly store: TopicStore
  private readonly coordinator: GroupCoordinatorService
  private readonly runEffect: <A>(effect: Effect.Effect<A>) => Promise<A>
  private readonly metrics: BrokerMetrics
  private readonly options: BrokerOptions
  /** Advertised address; the port is filled in once the server is bound. */
  node: BrokerNode

  constructor(
    store: TopicStore,
    coordinator: GroupCoordinatorService,
    runEffect: <A>(effect: Effect.Effect<A>) => Promise<A>,
    metrics: BrokerMetrics,
    options: BrokerOptions,
    node: BrokerNode
  ) {
    this.store = store
    this.coordinator = coordinator
    this.runEffect = runEffect
    this.metrics = metrics
    this.options = options
    this.node = node
  }

  handle(header: RequestHeader, r: Reader, clientHost: string): Response | Promise<Response> {
    const v = header.apiVersion
    if (header.apiKey === ApiKey.ApiVersions) {
      const w = new Writer()
      // A newer client than this broker: error 35 plus the table, so it retries with a version listed.
      encodeApiVersionsResponse(w, v, v > 2 ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.NONE)
      return w
    }
    if (!isSupported(header.apiKey, v)) {
      throw new UnsupportedRequest(`api key ${header.apiKey} v${v} is not supported`)
    }
    switch (header.apiKey) {
      case ApiKey.Produce:
        return this.produce(r, v)
      case ApiKey.Fetch:
        return this.fetch(decodeFetchRequest(r, v), v)
      case ApiKey.ListOffsets:
        return this.listOffsets(r, v)
      case ApiKey.Metadata:
        return this.metadata(r, v)
      case ApiKey.CreateTopics:
        return this.createTopics(r, v)
      case ApiKey.DeleteTopics:
        return this.deleteTopics(r, v)
      case ApiKey.InitProducerId: {
        decodeInitProducerIdRequest(r)
        const w = new Writer()
        encodeInitProducerIdResponse(w, ErrorCode.NONE, this.store.allocateProducerId(), 0)
        return w
      }
      case ApiKey.FindCoordinator: {
        decodeFindCoordinatorRequest(r, v)
        const w = new Writer()
        encodeFindCoordinatorResponse(w, v, ErrorCode.NONE, this.node)
        return w
      }
      default:
        return this.group(header, r, clientHost)
    }
  }

  private partition(topic: string, partition: number): PartitionLog | undefined {
    return this.store.topics.get(topic)?.partitions[partition]
  }

  private async produce(r: Reader, v: number): Promise<Response> {
    const req = decodeProduceRequest(r, v)
    const acks = req.acks
    let bytes = 0
    const pending: Array<Promise<void>> = []
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): ProducePartitionResponse => {
        const log = this.partition(t.name, p.partition)
        const fail = (errorCode: number): ProducePartitionResponse => ({
          partition: p.partition,
          errorCode,
          baseOffset: -1,
          logStartOffset: -1
        })
        if (acks !== 0 && acks !== 1 && acks !== -1) return fail(ErrorCode.INVALID_REQUIRED_ACKS)
        if (log === undefined) return fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION)
        const records = p.records
        if (records === null || records.length === 0) return fail(ErrorCode.CORRUPT_MESSAGE)
        // Message sets v0/v1 (magic 0/1) are not accepted: only record batches v2 are stored.
        if (records.length > 16 && records.readInt8(16) !== 2) return fail(ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT)
        // Validate every batch before appending any, so a partition's record set is all or nothing.
        const batches: Array<[Buffer, BatchHeader]> = []
        for (let at = 0; at < records.length; ) {
          const size = batchSizeAt(records, at)
          const header = size < 0 ? null : validateBatch(records, at, size)
          if (header === null) return fail(ErrorCode.CORRUPT_MESSAGE)
          batches.push([records.subarray(at, at + size), header])
          at += size
        }
        const out = { partition: p.partition, errorCode: ErrorCode.NONE as number, baseOffset: -1, logStartOffset: -1 }
        for (const [batch, header] of batches) {
          const res = log.append(batch, header)
          if (res.errorCode !== ErrorCode.NONE) {
            out.errorCode = res.errorCode
            out.baseOffset = -1
            break
          }
          if (out.baseOffset < 0) out.baseOffset = res.baseOffset
          bytes += batch.length
          pending.push(
            res.durable.then((code) => {
              // An fsync failure after the append still fails the request.
              if (code !== ErrorCode.NONE) {
                out.errorCode = code
                out.baseOffset = -1
              }
            })
          )
        }
        out.logStartOffset = log.logStartOffset
        this.metrics.logEnd(t.name, p.partition, log.logEndOffset)
        return out
      })
    }))
    this.metrics.produce(bytes)
    if (acks === 0) return null
    await Promise.all(pending)
    const w = new Writer()
    encodeProduceResponse(w, v, topics)
    return w
  }

  private async fetch(req: FetchRequest, v: number): Promise<Response> {
    const deadline = Date.now() + req.maxWaitMs
    let result = this.readFetch(req)
    while (result.bytes < req.minBytes && !result.failed) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) break
      await this.waitForData(req, remaining)
      result = this.readFetch(req)
    }
    this.metrics.fetch(result.bytes)
    const w = new Writer()
    encodeFetchResponse(w, v, result.topics)
    return w
  }

  private readFetch(req: FetchRequest): {
    topics: Array<{ name: string; partitions: Array<FetchPartitionResponse> }>
    bytes: number
    failed: boolean
  } {
    let budget = req.maxBytes
    let bytes = 0
    let failed = false
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p): FetchPartitionResponse => {
        const log = this.partition(t.name, p.partition)
        if (log === undefined) {
          failed = true
          return {
            partition: p.partition,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            highWatermark: -1,
            logStartOffset: -1,
            batches: []
          }
        }
        const read =
          budget > 0 || bytes === 0
            ? log.read(p.fetchOffset, Math.max(1, Math.min(p.maxBytes, budget)))
            : { errorCode: ErrorCode.NONE, batches: [] }
        if (read.errorCode !== ErrorCode.NONE) failed = true
        const batches = read.batches.map((b) => b.bytes)
        let size = 0
        for (const b of batches) size += b.length
        budget -= size
        bytes += size
        return {
          partition: p.partition,
          errorCode: read.errorCode,
          highWatermark: log.highWatermark,
          logStartOffset: log.logStartOffset,
          batches
        }
      })
    }))
    return { topics, bytes, failed }
  }

  /** Long poll: resolves when any fetched partition's high watermark moves, or after `ms`. */
  private waitForData(req: FetchRequest, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const unsubscribe: Array<() => void> = []
      const wake = () => {
        clearTimeout(timer)
        for (const u of unsubscribe) u()
        resolve()
      }
      const timer = setTimeout(wake, ms)
      for (const t of req.topics) {
        for (const p of t.partitions) {
          const log = this.partition(t.name, p.partition)
          if (log !== undefined) unsubscribe.push(log.onAdvance(wake))
        }
      }
    })
  }

  private listOffsets(r: Reader, v: number): Response {
    const req = decodeListOffsetsRequest(r, v)
    const w = new Writer()
    encodeListOffsetsResponse(
      w,
      v,
      req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => {
          const log = this.partition(t.name, p.partition)
          if (log === undefined) {
            return {
              partition: p.partition,
              errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
              timestamp: -1,
              offset: -1
            }
          }
          const offset =
            p.timestamp === -1
              ? log.highWatermark
              : p.timestamp === -2
                ? log.logStartOffset
                : log.offsetForTimestamp(p.timestamp)
          return { partition: p.partition, errorCode: ErrorCode.NONE, timestamp: -1, offset }
        })
      }))
    )
    return w
  }

  private metadata(r: Reader, v: number): Response {
    const req = decodeMetadataRequest(r, v)
    const names = req.topics ?? [...this.store.topics.keys()].sort()
    const topics = names.map((name): TopicMetadata => {
      let topic = this.store.topics.get(name)
      if (topic === undefined) {
        if (!isValidTopicName(name)) return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] }
        if (!req.allowAutoCreate || !this.options.autoCreateTopics) {
          return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] }
        }
        topic = this.store.create(name, this.options.defaultPartitions, {})
      }
      return { errorCode: ErrorCode.NONE, name, partitions: topic.partitions.map((p) => p.partition) }
    })
    const w = new Writer()
    encodeMetadataResponse(w, v, this.node, this.options.clusterId, topics)
    return w
  }

  private createTopics(r: Reader, v: number): Response {
    const req = decodeCreateTopicsRequest(r, v)
    const results = req.topics.map((t) => {
      const partitions =
        t.assignments.length > 0
          ? t.assignments.length
          : t.numPartitions === -1
            ? this.options.defaultPartitions
            : t.numPartitions
      const error = (errorCode: number, message: string) => ({ name: t.name, errorCode, message })
      if (!isValidTopicName(t.name)) return error(ErrorCode.INVALID_TOPIC_EXCEPTION, `invalid topic name '${t.name}'`)
      if (this.store.topics.has(t.name))
        return error(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`)
      if (partitions <= 0) return error(ErrorCode.INVALID_PARTITIONS, "number of partitions must be positive")
      // Replication factor is accepted as given: this single node holds the only replica.
      if (!req.validateOnly) {
        const configs: Record<string, string> = {}
        for (const c of t.configs) if (c.value !== null) configs[c.name] = c.value
        this.store.create(t.name, partitions, configs)
      }
      return { name: t.name, errorCode: ErrorCode.NONE, message: null }
    })
    const w = new Writer()
    encodeCreateTopicsResponse(w, v, results)
    return w
  }

  private async deleteTopics(r: Reader, v: number): Promise<Response> {
    const names = decodeDeleteTopicsRequest(r)
    const results = await Promise.all(
      names.map(async (name) => {
        const deleted = await this.store.delete(name)
        if (deleted) await this.runEffect(this.coordinator.deleteTopicOffsets(name))
        return { name, errorCode: deleted ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }
      })
    )
    const w = new Writer()
    encodeDeleteTopicsResponse(w, v, results)
    return w
  }

  private async group(header: RequestHeader, r: Reader, clientHost: string): Promise<Response> {
    const v = header.apiVersion
    const c = this.coordinator
    const w = new Writer()
    switch (header.apiKey) {
      case ApiKey.JoinGroup: {
        const res = await this.runEffect(c.joinGroup(decodeJoinGroupRequest(r, v, header.clientId, clientHost)))
        encodeJoinGroupResponse(w, v, res)
        return w
      }
      case ApiKey.SyncGroup: {
        const res = await this.runEffect(c.syncGroup(decodeSyncGroupRequest(r, v)))
        encodeSyncGroupResponse(w, v, res.errorCode, res.assignment)
        return w
      }
      case ApiKey.Heartbeat: {
        const res = await this.runEffect(c.heartbeat(decodeHeartbeatRequest(r, v)))
        encodeErrorOnlyResponse(w, v, res.errorCode)
        return w
      }
      case ApiKey.LeaveGroup: {
        const res = await this.runEffect(c.leaveGroup(decodeLeaveGroupRequest(r)))
        encodeErrorOnlyResponse(w, v, res.errorCode)
        return w
      }
      case ApiKey.OffsetCommit: {
        const res = await this.runEffect(c.commitOffsets(decodeOffsetCommitRequest(r, v)))
        encodeOffsetCommitResponse(w, v, res)
        return w
      }
      case ApiKey.OffsetFetch: {
        const res = await this.runEffect(c.fetchOffsets(decodeOffsetFetchRequest(r)))
        encodeOffsetFetchResponse(w, v, res)
        return w
      }
      case ApiKey.DescribeGroups: {
        const res = await this.runEffect(c.describeGroups(decodeDescribeGroupsRequest(r)))
        encodeDescribeGroupsResponse(w, v, res)
        return w
      }
      case ApiKey.ListGroups: {
        const res = await this.runEffect(c.listGroups())
        encodeListGroupsResponse(w, v, res)
        return w
      }
      default:
        throw new UnsupportedRequest(`api key ${header.apiKey} is not supported`)
    }
  }

  /** Retention pass over every partition; returns the number of segments deleted. */
  applyRetention(now: number, maxAgeMs: number, maxBytes: number): number {
    let deleted = 0
    for (const t of this.store.topics.values())
      for (const p of t.partitions) deleted += p.applyRetention(now, maxAgeMs, maxBytes)
    return deleted
  }
}
