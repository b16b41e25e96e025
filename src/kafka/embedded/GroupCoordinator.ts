/**
 * Consumer-group coordinator of the embedded broker: Kafka's classic (eager) group protocol.
 *
 * Empty --join--> PreparingRebalance --every member rejoined, or rebalance timeout--> CompletingRebalance
 * --leader's SyncGroup--> Stable; a join with new metadata, a leave or a session expiry sends a group back
 * to PreparingRebalance (followers learn it from Heartbeat error 27); losing the last member makes it Empty.
 *
 * Every state change is one synchronous block between two `yield*`s, so it is atomic on the single JS
 * thread without a lock; requests that must wait (the join barrier, followers' SyncGroup) park on a
 * `Deferred` that a later change, the deadline ticker or layer shutdown always completes.
 */
import { randomUUID } from "node:crypto"
import { Clock, Context, Deferred, Effect, Layer, Metric } from "effect"
import { Settings } from "../../domain/Settings.ts"
import { OffsetStore } from "./OffsetStore.ts"
import { ErrorCode } from "./protocol/ErrorCodes.ts"

export interface JoinGroupRequest {
  readonly groupId: string
  readonly sessionTimeoutMs: number
  readonly rebalanceTimeoutMs: number
  readonly memberId: string
  readonly groupInstanceId: string | null
  readonly protocolType: string
  readonly protocols: ReadonlyArray<{ readonly name: string; readonly metadata: Uint8Array }>
  readonly clientId: string
  readonly clientHost: string
}

export interface JoinGroupResult {
  readonly errorCode: number
  readonly generationId: number
  readonly protocolName: string
  readonly leader: string
  readonly memberId: string
  readonly members: ReadonlyArray<{
    readonly memberId: string
    readonly groupInstanceId: string | null
    readonly metadata: Uint8Array
  }>
}

export interface SyncGroupRequest {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly assignments: ReadonlyArray<{ readonly memberId: string; readonly assignment: Uint8Array }>
}

export interface SyncGroupResult {
  readonly errorCode: number
  readonly assignment: Uint8Array
}

export interface OffsetCommitRequest {
  readonly groupId: string
  readonly generationId: number
  readonly memberId: string
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly partitions: ReadonlyArray<{
      readonly partition: number
      readonly offset: bigint
      readonly metadata: string | null
    }>
  }>
}

export interface OffsetFetchRequest {
  readonly groupId: string
  readonly topics: ReadonlyArray<{ readonly name: string; readonly partitions: ReadonlyArray<number> }> | null
}

/** Per topic-partition error codes of an OffsetCommit (the wire response carries exactly this). */
export type OffsetCommitResult = ReadonlyArray<{
  readonly name: string
  readonly partitions: ReadonlyArray<{ readonly partition: number; readonly errorCode: number }>
}>

export interface OffsetFetchResult {
  readonly errorCode: number
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly partitions: ReadonlyArray<{
      readonly partition: number
      readonly offset: bigint
      readonly metadata: string | null
      readonly errorCode: number
    }>
  }>
}

export interface DescribedGroup {
  readonly errorCode: number
  readonly groupId: string
  readonly state: string
  readonly protocolType: string
  readonly protocol: string
  readonly members: ReadonlyArray<{
    readonly memberId: string
    readonly clientId: string
    readonly clientHost: string
    readonly metadata: Uint8Array
    readonly assignment: Uint8Array
  }>
}

export interface ListedGroup {
  readonly groupId: string
  readonly protocolType: string
}

export interface GroupCoordinatorService {
  readonly joinGroup: (req: JoinGroupRequest) => Effect.Effect<JoinGroupResult>
  readonly syncGroup: (req: SyncGroupRequest) => Effect.Effect<SyncGroupResult>
  readonly heartbeat: (req: {
    readonly groupId: string
    readonly generationId: number
    readonly memberId: string
  }) => Effect.Effect<{ readonly errorCode: number }>
  readonly leaveGroup: (req: {
    readonly groupId: string
    readonly memberIds: ReadonlyArray<string>
  }) => Effect.Effect<{ readonly errorCode: number }>
  readonly commitOffsets: (req: OffsetCommitRequest) => Effect.Effect<OffsetCommitResult>
  readonly fetchOffsets: (req: OffsetFetchRequest) => Effect.Effect<OffsetFetchResult>
  readonly describeGroups: (groupIds: ReadonlyArray<string>) => Effect.Effect<ReadonlyArray<DescribedGroup>>
  readonly listGroups: () => Effect.Effect<ReadonlyArray<ListedGroup>>
  readonly deleteTopicOffsets: (topic: string) => Effect.Effect<void>
}

type GroupState = "Empty" | "PreparingRebalance" | "CompletingRebalance" | "Stable"

type Protocols = JoinGroupRequest["protocols"]

interface Member {
  readonly memberId: string
  groupInstanceId: string | null
  clientId: string
  clientHost: string
  sessionTimeoutMs: number
  rebalanceTimeoutMs: number
  protocols: Protocols
  lastSeenMs: number
  /** Set while the member's JoinGroup is parked at the barrier. */
  joining: Deferred.Deferred<JoinGroupResult> | undefined
  /** Set while a follower's SyncGroup waits for the leader's assignments. */
  syncing: Deferred.Deferred<SyncGroupResult> | undefined
  assignment: Uint8Array
}

interface Group {
  readonly groupId: string
  state: GroupState
  generationId: number
  protocolType: string
  protocolName: string
  leaderId: string
  readonly members: Map<string, Member>
  /** PreparingRebalance completes by then even if some members have not rejoined. */
  rebalanceDeadlineMs: number
  /** A new group's first rebalance waits until then for more members (`group.initial.rebalance.delay`). */
  initialDelayUntilMs: number
}

/** What one state change did, published to metrics after the synchronous block. */
interface Change {
  readonly nowMs: number
  readonly touched: Set<Group>
  rebalances: number
}

const EMPTY = new Uint8Array(0)

const joinError = (errorCode: number, memberId: string): JoinGroupResult => ({
  errorCode,
  generationId: -1,
  protocolName: "",
  leader: "",
  memberId,
  members: []
})

const syncError = (errorCode: number): SyncGroupResult => ({ errorCode, assignment: EMPTY })

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i])

const sameProtocols = (a: Protocols, b: Protocols): boolean =>
  a.length === b.length &&
  a.every((p, i) => {
    const q = b[i]
    return q !== undefined && p.name === q.name && sameBytes(p.metadata, q.metadata)
  })

/** Protocols every member supports, in `first`'s order of preference. */
const commonProtocols = (first: Protocols, others: Iterable<Member>): Array<string> => {
  const rest = [...others]
  return first.map((p) => p.name).filter((name) => rest.every((m) => m.protocols.some((q) => q.name === name)))
}

/** Kafka's choice: each member votes for its most preferred common protocol; the most votes win. */
const selectProtocol = (members: ReadonlyArray<Member>): string | undefined => {
  const [first, ...others] = members
  if (first === undefined) return undefined
  const candidates = commonProtocols(first.protocols, others)
  const votes = new Map<string, number>()
  for (const m of members) {
    const choice = m.protocols.find((p) => candidates.includes(p.name))
    if (choice !== undefined) votes.set(choice.name, (votes.get(choice.name) ?? 0) + 1)
  }
  let best: string | undefined
  for (const name of candidates) if (best === undefined || (votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name
  return best
}

const metadataFor = (member: Member, protocolName: string): Uint8Array =>
  member.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY

/** The JoinGroup answer for the current generation; only the leader gets the member list. */
const joinResult = (group: Group, member: Member): JoinGroupResult => ({
  errorCode: ErrorCode.NONE,
  generationId: group.generationId,
  protocolName: group.protocolName,
  leader: group.leaderId,
  memberId: member.memberId,
  members:
    member.memberId === group.leaderId
      ? [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId,
          metadata: metadataFor(m, group.protocolName)
        }))
      : []
})

const complete = <A>(deferred: Deferred.Deferred<A> | undefined, value: A): void => {
  if (deferred !== undefined) Deferred.doneUnsafe(deferred, Effect.succeed(value))
}

const make = Effect.gen(function* () {
  const settings = yield* Settings
  const store = yield* OffsetStore
  const groups = new Map<string, Group>()
  let closed = false

  const membersGauge = Metric.gauge("kafka_broker_group_members", {
    description: "members of each consumer group on the embedded broker"
  })
  const rebalancesTotal = Metric.counter("kafka_broker_rebalances_total", {
    description: "completed consumer-group rebalances (generation bumps)",
    incremental: true
  })
  const commitsTotal = Metric.counter("kafka_broker_offset_commits_total", {
    description: "partition offsets committed durably",
    incremental: true
  })

  const begin = Effect.map(Clock.currentTimeMillis, (nowMs): Change => ({ nowMs, touched: new Set(), rebalances: 0 }))

  const publish = (change: Change) =>
    Effect.gen(function* () {
      for (const group of change.touched) {
        yield* Metric.update(Metric.withAttributes(membersGauge, { group: group.groupId }), group.members.size)
      }
      if (change.rebalances > 0) yield* Metric.update(rebalancesTotal, change.rebalances)
    })

  const prepareRebalance = (group: Group, change: Change): void => {
    change.touched.add(group)
    // Assignments of the interrupted generation are void: parked followers must rejoin.
    for (const m of group.members.values()) {
      complete(m.syncing, syncError(ErrorCode.REBALANCE_IN_PROGRESS))
      m.syncing = undefined
    }
    const wasEmpty = group.state === "Empty"
    group.state = "PreparingRebalance"
    const timeoutMs = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs))
    group.rebalanceDeadlineMs = change.nowMs + timeoutMs
    group.initialDelayUntilMs = wasEmpty ? change.nowMs + settings.groupInitialDelayMs : 0
  }

  /** Ends the join barrier once every member has rejoined or the rebalance timeout has passed. */
  const tryCompleteJoin = (group: Group, change: Change): void => {
    if (group.state !== "PreparingRebalance" || change.nowMs < group.initialDelayUntilMs) return
    const missing = [...group.members.values()].filter((m) => m.joining === undefined)
    if (missing.length > 0 && change.nowMs < group.rebalanceDeadlineMs) return
    for (const m of missing) group.members.delete(m.memberId)
    change.touched.add(group)
    group.generationId++
    change.rebalances++
    const members = [...group.members.values()]
    const protocolName = selectProtocol(members)
    if (protocolName === undefined) {
      for (const m of members) complete(m.joining, joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, m.memberId))
      group.members.clear()
    }
    if (group.members.size === 0) {
      group.state = "Empty"
      group.protocolName = ""
      group.leaderId = ""
      return
    }
    group.protocolName = protocolName ?? ""
    if (!group.members.has(group.leaderId)) group.leaderId = members[0]?.memberId ?? ""
    group.state = "CompletingRebalance"
    for (const m of members) {
      m.assignment = EMPTY
      m.lastSeenMs = change.nowMs
      complete(m.joining, joinResult(group, m))
      m.joining = undefined
    }
  }

  const removeMember = (group: Group, member: Member, change: Change): void => {
    complete(member.joining, joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.memberId))
    complete(member.syncing, syncError(ErrorCode.UNKNOWN_MEMBER_ID))
    group.members.delete(member.memberId)
    change.touched.add(group)
    if (group.state === "Stable" || group.state === "CompletingRebalance") prepareRebalance(group, change)
    tryCompleteJoin(group, change)
  }

  /** Session expiry and barrier deadlines; members parked in a request are alive by definition. */
  const tick = Effect.gen(function* () {
    const change = yield* begin
    const expired: Array<{ readonly groupId: string; readonly memberId: string }> = []
    for (const group of groups.values()) {
      for (const m of [...group.members.values()]) {
        const parked = m.joining !== undefined || m.syncing !== undefined
        if (!parked && change.nowMs - m.lastSeenMs > m.sessionTimeoutMs && group.members.has(m.memberId)) {
          expired.push({ groupId: group.groupId, memberId: m.memberId })
          removeMember(group, m, change)
        }
      }
      tryCompleteJoin(group, change)
    }
    for (const e of expired) yield* Effect.logInfo("consumer group member session expired").pipe(Effect.annotateLogs(e))
    yield* publish(change)
  })

  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      closed = true
      for (const group of groups.values()) {
        for (const m of group.members.values()) {
          complete(m.joining, joinError(ErrorCode.NOT_COORDINATOR, m.memberId))
          complete(m.syncing, syncError(ErrorCode.NOT_COORDINATOR))
          m.joining = undefined
          m.syncing = undefined
        }
      }
    })
  )
  yield* Effect.gen(function* () {
    while (true) {
      yield* Effect.sleep(100)
      yield* tick
    }
  }).pipe(Effect.forkScoped)

  const joinGroup = Effect.fn("GroupCoordinator.joinGroup")(function* (req: JoinGroupRequest) {
    if (closed) return joinError(ErrorCode.NOT_COORDINATOR, req.memberId)
    if (req.groupId === "") return joinError(ErrorCode.INVALID_GROUP_ID, req.memberId)
    if (req.sessionTimeoutMs <= 0) return joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId)
    if (req.protocolType === "" || req.protocols.length === 0) {
      return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId)
    }
    const change = yield* begin
    let group = groups.get(req.groupId)
    if (group === undefined) {
      if (req.memberId !== "") return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId)
      group = {
        groupId: req.groupId,
        state: "Empty",
        generationId: 0,
        protocolType: req.protocolType,
        protocolName: "",
        leaderId: "",
        members: new Map(),
        rebalanceDeadlineMs: 0,
        initialDelayUntilMs: 0
      }
      groups.set(req.groupId, group)
    }
    if (group.state === "Empty") group.protocolType = req.protocolType
    const others = [...group.members.values()].filter((m) => m.memberId !== req.memberId)
    if (req.protocolType !== group.protocolType || commonProtocols(req.protocols, others).length === 0) {
      return joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId)
    }

    let member = group.members.get(req.memberId)
    if (member === undefined) {
      if (req.memberId !== "") return joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId)
      member = {
        memberId: `${req.clientId}-${randomUUID()}`,
        groupInstanceId: req.groupInstanceId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        sessionTimeoutMs: req.sessionTimeoutMs,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs,
        protocols: req.protocols,
        lastSeenMs: change.nowMs,
        joining: undefined,
        syncing: undefined,
        assignment: EMPTY
      }
      group.members.set(member.memberId, member)
      if (group.state !== "PreparingRebalance") prepareRebalance(group, change)
    } else {
      const unchanged = sameProtocols(member.protocols, req.protocols)
      member.groupInstanceId = req.groupInstanceId
      member.clientId = req.clientId
      member.clientHost = req.clientHost
      member.sessionTimeoutMs = req.sessionTimeoutMs
      member.rebalanceTimeoutMs = req.rebalanceTimeoutMs
      member.protocols = req.protocols
      member.lastSeenMs = change.nowMs
      // A repeated join whose answer was lost, from a member that would not change the assignment.
      const replay =
        unchanged &&
        (group.state === "CompletingRebalance" || (group.state === "Stable" && member.memberId !== group.leaderId))
      if (replay) return joinResult(group, member)
      if (group.state !== "PreparingRebalance") prepareRebalance(group, change)
    }
    // A duplicate join from the same member shares the parked answer.
    const answer = member.joining ?? Deferred.makeUnsafe<JoinGroupResult>()
    member.joining = answer
    change.touched.add(group)
    tryCompleteJoin(group, change)
    yield* publish(change)
    return yield* Deferred.await(answer)
  })

  const syncGroup = Effect.fn("GroupCoordinator.syncGroup")(function* (req: SyncGroupRequest) {
    if (closed) return syncError(ErrorCode.NOT_COORDINATOR)
    const change = yield* begin
    const group = groups.get(req.groupId)
    const member = group?.members.get(req.memberId)
    if (group === undefined || member === undefined) return syncError(ErrorCode.UNKNOWN_MEMBER_ID)
    if (req.generationId !== group.generationId) return syncError(ErrorCode.ILLEGAL_GENERATION)
    if (group.state === "PreparingRebalance") return syncError(ErrorCode.REBALANCE_IN_PROGRESS)
    member.lastSeenMs = change.nowMs
    if (group.state === "Stable") return { errorCode: ErrorCode.NONE, assignment: member.assignment }
    if (member.memberId === group.leaderId) {
      const assigned = new Map(req.assignments.map((a) => [a.memberId, a.assignment]))
      group.state = "Stable"
      for (const m of group.members.values()) {
        m.assignment = assigned.get(m.memberId) ?? EMPTY
        complete(m.syncing, { errorCode: ErrorCode.NONE, assignment: m.assignment })
        m.syncing = undefined
      }
      return { errorCode: ErrorCode.NONE, assignment: member.assignment }
    }
    const answer = member.syncing ?? Deferred.makeUnsafe<SyncGroupResult>()
    member.syncing = answer
    return yield* Deferred.await(answer)
  })

  const heartbeat = Effect.fn("GroupCoordinator.heartbeat")(function* (req: {
    readonly groupId: string
    readonly generationId: number
    readonly memberId: string
  }) {
    if (closed) return { errorCode: ErrorCode.NOT_COORDINATOR }
    const change = yield* begin
    const group = groups.get(req.groupId)
    const member = group?.members.get(req.memberId)
    if (group === undefined || member === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID }
    if (req.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION }
    member.lastSeenMs = change.nowMs
    return { errorCode: group.state === "PreparingRebalance" ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE }
  })

  const leaveGroup = Effect.fn("GroupCoordinator.leaveGroup")(function* (req: {
    readonly groupId: string
    readonly memberIds: ReadonlyArray<string>
  }) {
    const change = yield* begin
    const group = groups.get(req.groupId)
    let errorCode: number = ErrorCode.NONE
    for (const memberId of req.memberIds) {
      const member = group?.members.get(memberId)
      if (group === undefined || member === undefined) errorCode = ErrorCode.UNKNOWN_MEMBER_ID
      else removeMember(group, member, change)
    }
    yield* publish(change)
    return { errorCode }
  })

  /** Kafka's OffsetCommit checks; generation -1 is a "simple" commit, allowed only with no members. */
  const commitError = (req: OffsetCommitRequest, nowMs: number): number => {
    const group = groups.get(req.groupId)
    if (req.generationId < 0 && (group === undefined || group.state === "Empty")) return ErrorCode.NONE
    if (group === undefined) return ErrorCode.ILLEGAL_GENERATION
    if (group.state === "CompletingRebalance") return ErrorCode.REBALANCE_IN_PROGRESS
    const member = group.members.get(req.memberId)
    if (member === undefined) return ErrorCode.UNKNOWN_MEMBER_ID
    if (req.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION
    member.lastSeenMs = nowMs
    return ErrorCode.NONE
  }

  const commitOffsets = Effect.fn("GroupCoordinator.commitOffsets")(function* (req: OffsetCommitRequest) {
    const nowMs = yield* Clock.currentTimeMillis
    let errorCode = commitError(req, nowMs)
    if (errorCode === ErrorCode.NONE) {
      const entries = req.topics.flatMap((t) =>
        t.partitions.map((p) => ({
          group: req.groupId,
          topic: t.name,
          partition: p.partition,
          offset: p.offset,
          metadata: p.metadata
        }))
      )
      const durable = entries.length === 0 || (yield* store.commit(entries))
      if (durable) yield* Metric.update(commitsTotal, entries.length)
      else errorCode = ErrorCode.UNKNOWN_SERVER_ERROR
    }
    return req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode }))
    }))
  })

  const fetchOffsets = Effect.fn("GroupCoordinator.fetchOffsets")(function* (req: OffsetFetchRequest) {
    const committed = yield* store.offsets(req.groupId)
    const wanted =
      req.topics ?? [...committed].map(([name, partitions]) => ({ name, partitions: [...partitions.keys()] }))
    return {
      errorCode: ErrorCode.NONE,
      topics: wanted.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((partition) => {
          const c = committed.get(t.name)?.get(partition)
          return c === undefined
            ? { partition, offset: -1n, metadata: "", errorCode: ErrorCode.NONE }
            : { partition, offset: c.offset, metadata: c.metadata, errorCode: ErrorCode.NONE }
        })
      }))
    }
  })

  const describeGroups = Effect.fn("GroupCoordinator.describeGroups")(function* (groupIds: ReadonlyArray<string>) {
    return groupIds.map((groupId) => {
      const group = groups.get(groupId)
      if (group === undefined) {
        return { errorCode: ErrorCode.NONE, groupId, state: "Dead", protocolType: "", protocol: "", members: [] }
      }
      // As Kafka: metadata, assignments and the protocol are meaningful only once the group is Stable.
      const stable = group.state === "Stable"
      return {
        errorCode: ErrorCode.NONE,
        groupId,
        state: group.state,
        protocolType: group.protocolType,
        protocol: stable ? group.protocolName : "",
        members: [...group.members.values()].map((m) => ({
          memberId: m.memberId,
          clientId: m.clientId,
          clientHost: m.clientHost,
          metadata: stable ? metadataFor(m, group.protocolName) : EMPTY,
          assignment: stable ? m.assignment : EMPTY
        }))
      }
    })
  })

  const listGroups = Effect.fn("GroupCoordinator.listGroups")(function* () {
    const withOffsets = yield* store.groups
    const listed = [...groups.values()].map((g) => ({ groupId: g.groupId, protocolType: g.protocolType }))
    const offsetsOnly = withOffsets.filter((id) => !groups.has(id)).map((groupId) => ({ groupId, protocolType: "" }))
    return [...listed, ...offsetsOnly]
  })

  const deleteTopicOffsets = Effect.fn("GroupCoordinator.deleteTopicOffsets")(function* (topic: string) {
    const durable = yield* store.deleteTopic(topic)
    if (!durable)
      yield* Effect.logError("could not durably delete committed offsets").pipe(Effect.annotateLogs({ topic }))
  })

  return GroupCoordinator.of({
    joinGroup,
    syncGroup,
    heartbeat,
    leaveGroup,
    commitOffsets,
    fetchOffsets,
    describeGroups,
    listGroups,
    deleteTopicOffsets
  })
})

export class GroupCoordinator extends Context.Service<GroupCoordinator, GroupCoordinatorService>()(
  "launchpad/kafka/embedded/GroupCoordinator"
) {
  static readonly layer: Layer.Layer<GroupCoordinator, never, Settings> = Layer.effect(GroupCoordinator, make).pipe(
    Layer.provide(OffsetStore.layer)
  )
}
