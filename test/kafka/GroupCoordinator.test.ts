import * as NodeFs from "node:fs/promises"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Exit, Fiber, Layer, Metric, Scope } from "effect"
import { TestClock } from "effect/testing"
import { Settings } from "../../src/domain/Settings.ts"
import { GroupCoordinator, type JoinGroupRequest } from "../../src/kafka/embedded/GroupCoordinator.ts"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => NodeFs.mkdtemp(NodePath.join(NodeOs.tmpdir(), "launchpad-groups-"))),
  (dir) => Effect.promise(() => NodeFs.rm(dir, { recursive: true, force: true }))
)

const coordinatorLayer = (dataDir: string, groupInitialDelayMs = 0) =>
  GroupCoordinator.layer.pipe(Layer.provide(Settings.layerWith({ dataDir, groupInitialDelayMs })))

/** Runs `body` against a coordinator on a fresh temporary data dir. */
const withCoordinator = <A>(body: Effect.Effect<A, never, GroupCoordinator>, groupInitialDelayMs = 0) =>
  Effect.scoped(Effect.flatMap(tempDir, (dir) => Effect.provide(body, coordinatorLayer(dir, groupInitialDelayMs))))

const bytes = (text: string) => new TextEncoder().encode(text)
const text = (data: Uint8Array) => new TextDecoder().decode(data)

const joinReq = (groupId: string, overrides: Partial<JoinGroupRequest> = {}): JoinGroupRequest => ({
  groupId,
  sessionTimeoutMs: 6_000,
  rebalanceTimeoutMs: 10_000,
  memberId: "",
  groupInstanceId: null,
  protocolType: "consumer",
  protocols: [{ name: "RoundRobinAssigner", metadata: bytes("meta") }],
  clientId: "client",
  clientHost: "/127.0.0.1",
  ...overrides
})

/** Lets forked requests reach their parking point. */
const settle = Effect.gen(function* () {
  for (let i = 0; i < 20; i++) yield* Effect.yieldNow
})

/** Two members joined (both in generation 1 thanks to the initial delay) and synced: a Stable group. */
const stablePair = (groupId: string) =>
  Effect.gen(function* () {
    const gc = yield* GroupCoordinator
    const a = yield* Effect.forkChild(gc.joinGroup(joinReq(groupId, { clientId: "a" })))
    const b = yield* Effect.forkChild(gc.joinGroup(joinReq(groupId, { clientId: "b" })))
    yield* settle
    yield* TestClock.adjust(400)
    const ja = yield* Fiber.join(a)
    const jb = yield* Fiber.join(b)
    const [leader, follower] = ja.leader === ja.memberId ? [ja, jb] : [jb, ja]
    const followerSync = yield* Effect.forkChild(
      gc.syncGroup({ groupId, generationId: follower.generationId, memberId: follower.memberId, assignments: [] })
    )
    yield* settle
    const leaderSync = yield* gc.syncGroup({
      groupId,
      generationId: leader.generationId,
      memberId: leader.memberId,
      assignments: [
        { memberId: leader.memberId, assignment: bytes("L") },
        { memberId: follower.memberId, assignment: bytes("F") }
      ]
    })
    return { leader, follower, leaderSync, followerSync: yield* Fiber.join(followerSync) }
  })

describe("GroupCoordinator", () => {
  it.effect("a single member joins, syncs and heartbeats", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const join = yield* gc.joinGroup(joinReq("solo", { clientId: "kafkajs" }))
        assert.strictEqual(join.errorCode, 0)
        assert.strictEqual(join.generationId, 1)
        assert.isTrue(join.memberId.startsWith("kafkajs-"))
        assert.strictEqual(join.leader, join.memberId)
        assert.strictEqual(join.protocolName, "RoundRobinAssigner")
        assert.deepStrictEqual(
          join.members.map((m) => [m.memberId, text(m.metadata)]),
          [[join.memberId, "meta"]]
        )
        const sync = yield* gc.syncGroup({
          groupId: "solo",
          generationId: 1,
          memberId: join.memberId,
          assignments: [{ memberId: join.memberId, assignment: bytes("all") }]
        })
        assert.strictEqual(sync.errorCode, 0)
        assert.strictEqual(text(sync.assignment), "all")
        const beat = yield* gc.heartbeat({ groupId: "solo", generationId: 1, memberId: join.memberId })
        assert.strictEqual(beat.errorCode, 0)
        const [described] = yield* gc.describeGroups(["solo"])
        assert.strictEqual(described?.state, "Stable")
        assert.strictEqual(described?.protocol, "RoundRobinAssigner")
        assert.strictEqual(text(described?.members[0]?.assignment ?? new Uint8Array()), "all")
      })
    )
  )

  it.effect("two concurrent members share a generation; the follower's sync waits for the leader", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const a = yield* Effect.forkChild(gc.joinGroup(joinReq("pair", { clientId: "a" })))
        const b = yield* Effect.forkChild(gc.joinGroup(joinReq("pair", { clientId: "b" })))
        yield* settle
        assert.isUndefined(a.pollUnsafe(), "held by the initial delay")
        yield* TestClock.adjust(400)
        const ja = yield* Fiber.join(a)
        const jb = yield* Fiber.join(b)
        assert.strictEqual(ja.generationId, 1)
        assert.strictEqual(jb.generationId, 1)
        assert.strictEqual(ja.leader, jb.leader)
        const [leader, follower] = ja.leader === ja.memberId ? [ja, jb] : [jb, ja]
        assert.strictEqual(leader.members.length, 2)
        assert.strictEqual(follower.members.length, 0)

        const followerSync = yield* Effect.forkChild(
          gc.syncGroup({ groupId: "pair", generationId: 1, memberId: follower.memberId, assignments: [] })
        )
        yield* settle
        assert.isUndefined(followerSync.pollUnsafe(), "parked until the leader's assignment")
        const leaderSync = yield* gc.syncGroup({
          groupId: "pair",
          generationId: 1,
          memberId: leader.memberId,
          assignments: [
            { memberId: leader.memberId, assignment: bytes("p0,p1") },
            { memberId: follower.memberId, assignment: bytes("p2") }
          ]
        })
        assert.strictEqual(text(leaderSync.assignment), "p0,p1")
        const fs = yield* Fiber.join(followerSync)
        assert.strictEqual(fs.errorCode, 0)
        assert.strictEqual(text(fs.assignment), "p2")
      }),
      300
    )
  )

  it.effect("a third member makes the others rejoin into generation + 1", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const { leader, follower } = yield* stablePair("trio")
        const c = yield* Effect.forkChild(gc.joinGroup(joinReq("trio", { clientId: "c" })))
        yield* settle
        assert.isUndefined(c.pollUnsafe(), "the barrier waits for the known members")
        for (const m of [leader, follower]) {
          const beat = yield* gc.heartbeat({ groupId: "trio", generationId: 1, memberId: m.memberId })
          assert.strictEqual(beat.errorCode, 27)
        }
        const [describing] = yield* gc.describeGroups(["trio"])
        assert.strictEqual(describing?.state, "PreparingRebalance")
        const rejoinLeader = yield* Effect.forkChild(gc.joinGroup(joinReq("trio", { memberId: leader.memberId })))
        const rejoinFollower = yield* gc.joinGroup(joinReq("trio", { memberId: follower.memberId }))
        const jl = yield* Fiber.join(rejoinLeader)
        const jc = yield* Fiber.join(c)
        for (const j of [jl, rejoinFollower, jc]) {
          assert.strictEqual(j.errorCode, 0)
          assert.strictEqual(j.generationId, 2)
        }
        assert.strictEqual(jl.leader, leader.memberId, "the previous leader keeps the role")
        assert.strictEqual(jl.members.length, 3)
        assert.strictEqual(jc.members.length, 0)
        const metrics = yield* Metric.snapshot
        const members = metrics.find((m) => m.id === "kafka_broker_group_members" && m.attributes?.group === "trio")
        assert.deepStrictEqual(members?.state, { value: 3 })
        const rebalances = metrics.find((m) => m.id === "kafka_broker_rebalances_total")
        assert.isTrue(rebalances?.type === "Counter" && Number(rebalances.state.count) >= 2)
      }),
      300
    )
  )

  it.effect("stale generations get 22 and unknown members 25", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const join = yield* gc.joinGroup(joinReq("errors"))
        const id = join.memberId
        const stale = yield* gc.heartbeat({ groupId: "errors", generationId: 0, memberId: id })
        assert.strictEqual(stale.errorCode, 22)
        const staleSync = yield* gc.syncGroup({ groupId: "errors", generationId: 7, memberId: id, assignments: [] })
        assert.strictEqual(staleSync.errorCode, 22)
        const unknown = yield* gc.heartbeat({ groupId: "errors", generationId: 1, memberId: "nobody" })
        assert.strictEqual(unknown.errorCode, 25)
        const unknownGroup = yield* gc.heartbeat({ groupId: "nope", generationId: 1, memberId: id })
        assert.strictEqual(unknownGroup.errorCode, 25)
        const unknownJoin = yield* gc.joinGroup(joinReq("errors", { memberId: "nobody" }))
        assert.strictEqual(unknownJoin.errorCode, 25)
        const commit = yield* gc.commitOffsets({
          groupId: "errors",
          generationId: 1,
          memberId: "nobody",
          topics: [{ name: "t", partitions: [{ partition: 0, offset: 1n, metadata: null }] }]
        })
        assert.strictEqual(commit[0]?.partitions[0]?.errorCode, 27, "no commits before the leader's sync")
        yield* gc.syncGroup({ groupId: "errors", generationId: 1, memberId: id, assignments: [] })
        const commitUnknown = yield* gc.commitOffsets({
          groupId: "errors",
          generationId: 1,
          memberId: "nobody",
          topics: [{ name: "t", partitions: [{ partition: 0, offset: 1n, metadata: null }] }]
        })
        assert.strictEqual(commitUnknown[0]?.partitions[0]?.errorCode, 25)
        const commitStale = yield* gc.commitOffsets({
          groupId: "errors",
          generationId: 0,
          memberId: id,
          topics: [{ name: "t", partitions: [{ partition: 0, offset: 1n, metadata: null }] }]
        })
        assert.strictEqual(commitStale[0]?.partitions[0]?.errorCode, 22)
        const simple = yield* gc.commitOffsets({
          groupId: "errors",
          generationId: -1,
          memberId: "",
          topics: [{ name: "t", partitions: [{ partition: 0, offset: 1n, metadata: null }] }]
        })
        assert.strictEqual(simple[0]?.partitions[0]?.errorCode, 25, "no simple commits while members are active")
      })
    )
  )

  it.effect("rejects an inconsistent protocol type or protocol set with 23", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        yield* gc.joinGroup(joinReq("proto"))
        const otherType = yield* gc.joinGroup(joinReq("proto", { protocolType: "connect" }))
        assert.strictEqual(otherType.errorCode, 23)
        const disjoint = yield* gc.joinGroup(joinReq("proto", { protocols: [{ name: "range", metadata: bytes("") }] }))
        assert.strictEqual(disjoint.errorCode, 23)
      })
    )
  )

  it.effect("evicts a member whose session times out and rebalances the rest", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const { leader, follower } = yield* stablePair("expiry")
        yield* TestClock.adjust(3_000)
        assert.strictEqual(
          (yield* gc.heartbeat({ groupId: "expiry", generationId: 1, memberId: follower.memberId })).errorCode,
          0
        )
        yield* TestClock.adjust(3_500)
        const [described] = yield* gc.describeGroups(["expiry"])
        assert.deepStrictEqual(
          described?.members.map((m) => m.memberId),
          [follower.memberId],
          "the silent leader is gone"
        )
        const beat = yield* gc.heartbeat({ groupId: "expiry", generationId: 1, memberId: follower.memberId })
        assert.strictEqual(beat.errorCode, 27)
        const rejoin = yield* gc.joinGroup(joinReq("expiry", { memberId: follower.memberId }))
        assert.strictEqual(rejoin.generationId, 2)
        assert.strictEqual(rejoin.leader, follower.memberId)
        assert.strictEqual(rejoin.members.length, 1)
        const late = yield* gc.heartbeat({ groupId: "expiry", generationId: 1, memberId: leader.memberId })
        assert.strictEqual(late.errorCode, 25)
      }),
      300
    )
  )

  it.effect("a member that never rejoins is dropped at the rebalance timeout", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const { follower } = yield* stablePair("slow")
        const c = yield* Effect.forkChild(gc.joinGroup(joinReq("slow", { clientId: "c" })))
        const rejoin = yield* Effect.forkChild(gc.joinGroup(joinReq("slow", { memberId: follower.memberId })))
        yield* settle
        assert.isUndefined(c.pollUnsafe())
        yield* TestClock.adjust(10_100)
        const jc = yield* Fiber.join(c)
        const jf = yield* Fiber.join(rejoin)
        assert.strictEqual(jc.generationId, 2)
        assert.strictEqual(jf.generationId, 2)
        assert.strictEqual(jf.leader, follower.memberId)
        assert.strictEqual(jf.members.length, 2)
      }),
      300
    )
  )

  it.effect("leaving triggers a rebalance, and the last leave empties the group", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const { leader, follower } = yield* stablePair("leave")
        const left = yield* gc.leaveGroup({ groupId: "leave", memberIds: [follower.memberId] })
        assert.strictEqual(left.errorCode, 0)
        const beat = yield* gc.heartbeat({ groupId: "leave", generationId: 1, memberId: leader.memberId })
        assert.strictEqual(beat.errorCode, 27)
        const rejoin = yield* gc.joinGroup(joinReq("leave", { memberId: leader.memberId }))
        assert.strictEqual(rejoin.generationId, 2)
        assert.strictEqual(rejoin.members.length, 1)
        yield* gc.leaveGroup({ groupId: "leave", memberIds: [leader.memberId] })
        const [described] = yield* gc.describeGroups(["leave"])
        assert.strictEqual(described?.state, "Empty")
        assert.strictEqual(described?.members.length, 0)
        const unknown = yield* gc.leaveGroup({ groupId: "leave", memberIds: [leader.memberId] })
        assert.strictEqual(unknown.errorCode, 25)
      }),
      300
    )
  )

  it.effect("a new rebalance answers parked followers' syncs with 27", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const a = yield* Effect.forkChild(gc.joinGroup(joinReq("parked", { clientId: "a" })))
        const b = yield* Effect.forkChild(gc.joinGroup(joinReq("parked", { clientId: "b" })))
        yield* settle
        yield* TestClock.adjust(400)
        const ja = yield* Fiber.join(a)
        const jb = yield* Fiber.join(b)
        const follower = ja.leader === ja.memberId ? jb : ja
        const sync = yield* Effect.forkChild(
          gc.syncGroup({ groupId: "parked", generationId: 1, memberId: follower.memberId, assignments: [] })
        )
        yield* settle
        yield* Effect.forkChild(gc.joinGroup(joinReq("parked", { clientId: "c" })))
        yield* settle
        assert.strictEqual((yield* Fiber.join(sync)).errorCode, 27)
      }),
      300
    )
  )

  it.effect("shutting the coordinator down answers parked requests with 16", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const scope = yield* Scope.make()
        const context = yield* Layer.buildWithScope(coordinatorLayer(dir, 300), scope)
        const gc = Context.get(context, GroupCoordinator)
        const parked = yield* Effect.forkChild(gc.joinGroup(joinReq("shutdown")))
        yield* settle
        assert.isUndefined(parked.pollUnsafe())
        yield* Scope.close(scope, Exit.void)
        assert.strictEqual((yield* Fiber.join(parked)).errorCode, 16)
        assert.strictEqual((yield* gc.joinGroup(joinReq("shutdown"))).errorCode, 16)
      })
    )
  )

  it.effect("commits and fetches offsets, -1 where nothing is committed", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const result = yield* gc.commitOffsets({
          groupId: "offsets",
          generationId: -1,
          memberId: "",
          topics: [
            {
              name: "t",
              partitions: [
                { partition: 0, offset: 10n, metadata: null },
                { partition: 2, offset: 7n, metadata: "m" }
              ]
            }
          ]
        })
        assert.deepStrictEqual(result, [
          {
            name: "t",
            partitions: [
              { partition: 0, errorCode: 0 },
              { partition: 2, errorCode: 0 }
            ]
          }
        ])
        const some = yield* gc.fetchOffsets({ groupId: "offsets", topics: [{ name: "t", partitions: [0, 1, 2] }] })
        assert.strictEqual(some.errorCode, 0)
        assert.deepStrictEqual(
          some.topics[0]?.partitions.map((p) => [p.partition, p.offset, p.errorCode]),
          [
            [0, 10n, 0],
            [1, -1n, 0],
            [2, 7n, 0]
          ]
        )
        assert.strictEqual(some.topics[0]?.partitions[2]?.metadata, "m")
        const all = yield* gc.fetchOffsets({ groupId: "offsets", topics: null })
        assert.deepStrictEqual(
          all.topics.map((t) => [t.name, t.partitions.map((p) => p.offset)]),
          [["t", [10n, 7n]]]
        )
        const none = yield* gc.fetchOffsets({ groupId: "unknown", topics: [{ name: "t", partitions: [0] }] })
        assert.strictEqual(none.topics[0]?.partitions[0]?.offset, -1n)
        assert.deepStrictEqual(yield* gc.listGroups(), [{ groupId: "offsets", protocolType: "" }])
        yield* gc.deleteTopicOffsets("t")
        const deleted = yield* gc.fetchOffsets({ groupId: "offsets", topics: null })
        assert.deepStrictEqual(deleted.topics, [])
      })
    )
  )

  it.effect("a member commits in its generation; concurrent commits all land", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        const join = yield* gc.joinGroup(joinReq("member-commit"))
        yield* gc.syncGroup({ groupId: "member-commit", generationId: 1, memberId: join.memberId, assignments: [] })
        const results = yield* Effect.forEach(
          Array.from({ length: 50 }, (_, i) => i),
          (i) =>
            gc.commitOffsets({
              groupId: "member-commit",
              generationId: 1,
              memberId: join.memberId,
              topics: [{ name: "t", partitions: [{ partition: i, offset: BigInt(i * 10), metadata: null }] }]
            }),
          { concurrency: "unbounded" }
        )
        assert.isTrue(results.every((r) => r[0]?.partitions[0]?.errorCode === 0))
        const all = yield* gc.fetchOffsets({ groupId: "member-commit", topics: null })
        assert.strictEqual(all.topics[0]?.partitions.length, 50)
        const commits = (yield* Metric.snapshot).find((m) => m.id === "kafka_broker_offset_commits_total")
        assert.isTrue(commits?.type === "Counter" && Number(commits.state.count) >= 50)
        assert.strictEqual(all.topics[0]?.partitions.find((p) => p.partition === 49)?.offset, 490n)
      })
    )
  )

  it.effect("describes unknown groups as Dead and lists live ones", () =>
    withCoordinator(
      Effect.gen(function* () {
        const gc = yield* GroupCoordinator
        yield* stablePair("listed")
        const [unknown, listed] = yield* gc.describeGroups(["ghost", "listed"])
        assert.deepStrictEqual(unknown, {
          errorCode: 0,
          groupId: "ghost",
          state: "Dead",
          protocolType: "",
          protocol: "",
          members: []
        })
        assert.strictEqual(listed?.state, "Stable")
        assert.strictEqual(listed?.protocolType, "consumer")
        assert.deepStrictEqual(listed?.members.map((m) => text(m.assignment)).sort(), ["F", "L"])
        assert.deepStrictEqual(yield* gc.listGroups(), [{ groupId: "listed", protocolType: "consumer" }])
      }),
      300
    )
  )
})

describe("OffsetStore durability", () => {
  const commitOne = (groupId: string, partition: number, offset: bigint) =>
    Effect.gen(function* () {
      const gc = yield* GroupCoordinator
      return yield* gc.commitOffsets({
        groupId,
        generationId: -1,
        memberId: "",
        topics: [{ name: "events", partitions: [{ partition, offset, metadata: null }] }]
      })
    })
  const fetchAll = (groupId: string) =>
    Effect.gen(function* () {
      const gc = yield* GroupCoordinator
      const r = yield* gc.fetchOffsets({ groupId, topics: null })
      return r.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partition, p.offset] as const))
    })

  it.effect("offsets survive a restart on the same data dir", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        yield* Effect.provide(
          Effect.gen(function* () {
            yield* commitOne("g", 0, 5n)
            yield* commitOne("g", 0, 6n)
            yield* commitOne("g", 1, 9n)
          }),
          coordinatorLayer(dir)
        )
        const after = yield* Effect.provide(fetchAll("g"), coordinatorLayer(dir))
        assert.deepStrictEqual(after, [
          ["events", 0, 6n],
          ["events", 1, 9n]
        ])
      })
    )
  )

  it.effect("the log is compacted once it grows far past the live offsets", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        const log = NodePath.join(dir, "broker", "__consumer_offsets", "offsets.log")
        const lineCount = Effect.promise(() => NodeFs.readFile(log, "utf8")).pipe(
          Effect.map((content) => content.split("\n").length - 1)
        )
        yield* Effect.provide(
          Effect.gen(function* () {
            const gc = yield* GroupCoordinator
            const repeated = Array.from({ length: 12_000 }, (_, i) => ({
              partition: i % 2,
              offset: BigInt(i),
              metadata: null
            }))
            yield* gc.commitOffsets({
              groupId: "g",
              generationId: -1,
              memberId: "",
              topics: [{ name: "events", partitions: repeated }]
            })
            assert.strictEqual(yield* lineCount, 2)
            yield* commitOne("g", 2, 1n)
            assert.strictEqual(yield* lineCount, 3)
          }),
          coordinatorLayer(dir)
        )
        const after = yield* Effect.provide(fetchAll("g"), coordinatorLayer(dir))
        assert.deepStrictEqual(after, [
          ["events", 0, 11_998n],
          ["events", 1, 11_999n],
          ["events", 2, 1n]
        ])
      })
    )
  )

  it.effect("a torn last record is ignored and later commits still land", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const dir = yield* tempDir
        yield* Effect.provide(commitOne("g", 0, 5n), coordinatorLayer(dir))
        const log = NodePath.join(dir, "broker", "__consumer_offsets", "offsets.log")
        yield* Effect.promise(() =>
          NodeFs.appendFile(log, '{"group":"g","topic":"events","partition":0,"offset":"99","meta')
        )
        const torn = yield* Effect.provide(
          Effect.gen(function* () {
            const seen = yield* fetchAll("g")
            yield* commitOne("g", 1, 3n)
            return seen
          }),
          coordinatorLayer(dir)
        )
        assert.deepStrictEqual(torn, [["events", 0, 5n]])
        const after = yield* Effect.provide(fetchAll("g"), coordinatorLayer(dir))
        assert.deepStrictEqual(after, [
          ["events", 0, 5n],
          ["events", 1, 3n]
        ])
      })
    )
  )
})
