/**
 * Consumer groups end to end with real kafkajs consumers: one in-process embedded broker (ephemeral
 * port) shared by the file, a consumer in a child process that is killed with SIGKILL, and a broker in
 * a child process that is killed with SIGKILL right after acknowledging a commit.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as NodeFs from "node:fs/promises"
import * as NodeOs from "node:os"
import * as NodePath from "node:path"
import * as NodeReadline from "node:readline"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { type Consumer, Kafka, logLevel, Partitioners } from "kafkajs"
import { Settings } from "../../src/domain/Settings.ts"
import { EmbeddedBroker } from "../../src/kafka/embedded/EmbeddedBroker.ts"

const BrokerLayer = Layer.unwrap(
  Effect.map(
    Effect.acquireRelease(
      Effect.promise(() => NodeFs.mkdtemp(NodePath.join(NodeOs.tmpdir(), "launchpad-groups-it-"))),
      (dir) => Effect.promise(() => NodeFs.rm(dir, { recursive: true, force: true }))
    ),
    (dataDir) =>
      EmbeddedBroker.layer.pipe(
        Layer.provide(Settings.layerWith({ dataDir, brokerHost: "127.0.0.1", brokerPort: 0, groupInitialDelayMs: 0 }))
      )
  )
)

/** Fast timings so rebalances and session expiry take seconds, not a minute. */
const consumerTimings = { sessionTimeout: 6_000, heartbeatInterval: 500, maxWaitTimeInMs: 500 } as const

let counter = 0
const unique = (prefix: string) => `${prefix}-${process.pid}-${++counter}`

const until = (label: string, check: () => boolean, timeoutMs = 20_000) =>
  Effect.promise(async () => {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })

const pause = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

interface Received {
  readonly partition: number
  readonly value: string
}

/** A running kafkajs consumer that records what it received and its latest assignment. */
interface Member {
  readonly consumer: Consumer
  readonly received: Array<Received>
  /** Partitions of the topic from the latest GROUP_JOIN; null before the first join. */
  assigned: ReadonlyArray<number> | null
  /** Completed fetches; after the first one the starting offsets are resolved. */
  fetches: number
}

const clientFor = (brokers: ReadonlyArray<string>) =>
  new Kafka({ clientId: "groups-test", brokers: [...brokers], logLevel: logLevel.NOTHING })

const startMember = (kafka: Kafka, groupId: string, topic: string, fromBeginning: boolean) =>
  Effect.acquireRelease(
    Effect.promise(async (): Promise<Member> => {
      const consumer = kafka.consumer({ groupId, ...consumerTimings })
      const member: Member = { consumer, received: [], assigned: null, fetches: 0 }
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        member.assigned = [...(event.payload.memberAssignment[topic] ?? [])].sort()
      })
      consumer.on(consumer.events.FETCH, () => {
        member.fetches++
      })
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning })
      await consumer.run({
        eachMessage: async ({ partition, message }) => {
          member.received.push({ partition, value: message.value?.toString() ?? "" })
        }
      })
      return member
    }),
    (member) => Effect.promise(() => member.consumer.disconnect())
  )

const withAdmin = <A>(kafka: Kafka, f: (admin: ReturnType<Kafka["admin"]>) => Promise<A>) =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const admin = kafka.admin()
      await admin.connect()
      return admin
    }),
    (admin) => Effect.promise(() => f(admin)),
    (admin) => Effect.promise(() => admin.disconnect())
  )

const createTopic = (kafka: Kafka, topic: string, numPartitions: number) =>
  withAdmin(kafka, (admin) => admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true }))

/** Produces `values` round-robin over the partitions, so each partition gets some. */
const produce = (kafka: Kafka, topic: string, partitions: number, values: ReadonlyArray<string>) =>
  Effect.acquireUseRelease(
    Effect.promise(async () => {
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner })
      await producer.connect()
      return producer
    }),
    (producer) =>
      Effect.promise(() =>
        producer.send({ topic, messages: values.map((value, i) => ({ value, partition: i % partitions })) })
      ),
    (producer) => Effect.promise(() => producer.disconnect())
  )

const values = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`)

const sortedValues = (received: ReadonlyArray<Received>) => received.map((r) => r.value).sort()

/** Both members hold a non-empty, disjoint share that together covers every partition. */
const splitBetween = (a: Member, b: Member, partitions: number) => {
  const x = a.assigned ?? []
  const y = b.assigned ?? []
  const all = new Set([...x, ...y])
  return x.length > 0 && y.length > 0 && x.length + y.length === partitions && all.size === partitions
}

/**
 * A kafkajs group member in its own process, so the test can SIGKILL it: no LeaveGroup, no more
 * heartbeats. It prints its assignment as a JSON line after every join.
 */
const childMemberScript = `
import { Kafka, logLevel } from "kafkajs"
const [brokers, groupId, topic] = process.argv.slice(1)
const kafka = new Kafka({ clientId: "groups-test-child", brokers: [brokers], logLevel: logLevel.NOTHING })
const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 500 })
consumer.on(consumer.events.GROUP_JOIN, (e) => console.log(JSON.stringify(e.payload.memberAssignment[topic] ?? [])))
await consumer.connect()
await consumer.subscribe({ topic, fromBeginning: true })
await consumer.run({ eachMessage: async () => {} })
`

const spawnChildMember = (brokers: string, groupId: string, topic: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, ["--input-type=module", "-e", childMemberScript, brokers, groupId, topic], {
        cwd: process.cwd(),
        stdio: ["ignore", "pipe", "inherit"]
      })
      const state = { assigned: null as ReadonlyArray<number> | null }
      NodeReadline.createInterface({ input: child.stdout }).on("line", (line) => {
        const parsed: unknown = JSON.parse(line)
        if (Array.isArray(parsed)) state.assigned = parsed.map(Number).sort()
      })
      return { child, state }
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

/** The broker in its own process (the broker's own fixture), so that it can be killed with SIGKILL. */
const spawnBroker = (dataDir: string) =>
  Effect.acquireRelease(
    Effect.promise(
      () =>
        new Promise<{ readonly child: ChildProcess; readonly brokers: ReadonlyArray<string> }>((resolve, reject) => {
          const child = spawn(process.execPath, ["test/kafka/fixtures/broker-child.ts", dataDir, "0"], {
            cwd: process.cwd(),
            stdio: ["ignore", "pipe", "inherit"]
          })
          child.once("exit", (code) => reject(new Error(`broker exited with ${code}`)))
          NodeReadline.createInterface({ input: child.stdout }).on("line", (line) => {
            const port = /^PORT (\d+)$/.exec(line)?.[1]
            if (port !== undefined) resolve({ child, brokers: [`127.0.0.1:${port}`] })
          })
        })
    ),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  )

describe("consumer groups on the embedded broker", () => {
  layer(BrokerLayer, { excludeTestServices: true, timeout: "30 seconds" })((it) => {
    it.effect("fromBeginning true reads the backlog; false reads only what arrives after joining", () =>
      Effect.gen(function* () {
        const { brokers } = yield* EmbeddedBroker
        const kafka = clientFor(brokers)
        const topic = unique("from-beginning")
        yield* createTopic(kafka, topic, 1)
        yield* produce(kafka, topic, 1, values("old", 5))

        const early = yield* startMember(kafka, unique("g-early"), topic, true)
        yield* until("the backlog", () => early.received.length >= 5)
        assert.deepStrictEqual(sortedValues(early.received), values("old", 5))

        const late = yield* startMember(kafka, unique("g-late"), topic, false)
        // Its first fetch has resolved "latest"; only then does anything new arrive.
        yield* until("the late member's first fetch", () => late.fetches > 0)
        yield* produce(kafka, topic, 1, values("new", 3))
        yield* until("the new records", () => late.received.length >= 3 && early.received.length >= 8)
        yield* pause(500)
        assert.deepStrictEqual(sortedValues(late.received), values("new", 3))
        assert.strictEqual(early.received.length, 8)
      })
    )

    it.effect("committed offsets survive a consumer restart: nothing lost, nothing repeated", () =>
      Effect.gen(function* () {
        const { brokers } = yield* EmbeddedBroker
        const kafka = clientFor(brokers)
        const topic = unique("resume")
        const groupId = unique("g-resume")
        yield* createTopic(kafka, topic, 3)
        yield* produce(kafka, topic, 3, values("first", 30))

        const first = yield* Effect.scoped(
          Effect.gen(function* () {
            const member = yield* startMember(kafka, groupId, topic, true)
            yield* until("the first run", () => member.received.length >= 30)
            return member.received
          })
        )
        yield* produce(kafka, topic, 3, values("second", 20))
        const second = yield* startMember(kafka, groupId, topic, true)
        yield* until("the second run", () => second.received.length >= 20)
        yield* pause(1_000)

        assert.deepStrictEqual(sortedValues(first), values("first", 30).sort())
        assert.deepStrictEqual(sortedValues(second.received), values("second", 20).sort())
        const committed = yield* withAdmin(kafka, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }))
        const total = committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0)
        assert.strictEqual(total, 50)
      })
    )

    it.effect("two members split a 3-partition topic; after one disconnects the other takes all", () =>
      Effect.gen(function* () {
        const { brokers } = yield* EmbeddedBroker
        const kafka = clientFor(brokers)
        const topic = unique("split")
        const groupId = unique("g-split")
        yield* createTopic(kafka, topic, 3)

        const a = yield* startMember(kafka, groupId, topic, true)
        const b = yield* Effect.scoped(
          Effect.gen(function* () {
            const b = yield* startMember(kafka, groupId, topic, true)
            yield* until("a split assignment", () => splitBetween(a, b, 3))
            yield* produce(kafka, topic, 3, values("split", 30))
            yield* until("every record once", () => a.received.length + b.received.length >= 30)
            for (const m of [a, b]) {
              assert.isTrue(m.received.every((r) => m.assigned?.includes(r.partition)))
            }
            return b
          })
        )
        assert.deepStrictEqual(sortedValues([...a.received, ...b.received]), values("split", 30).sort())

        yield* until("the survivor owning every partition", () => a.assigned?.length === 3)
        yield* produce(kafka, topic, 3, values("after", 9))
        const afterLeave = () => a.received.filter((r) => r.value.startsWith("after"))
        yield* until("the records after the leave", () => afterLeave().length >= 9)
        assert.deepStrictEqual(sortedValues(afterLeave()), values("after", 9).sort())
        const groups = yield* withAdmin(kafka, (admin) => admin.describeGroups([groupId]))
        assert.strictEqual(groups.groups[0]?.state, "Stable")
        assert.strictEqual(groups.groups[0]?.members.length, 1)
      })
    )

    it.effect(
      "five members joining at once converge on disjoint shares of every partition",
      () =>
        Effect.gen(function* () {
          const { brokers } = yield* EmbeddedBroker
          const kafka = clientFor(brokers)
          const topic = unique("crowd")
          const groupId = unique("g-crowd")
          yield* createTopic(kafka, topic, 6)
          const members = yield* Effect.all(
            Array.from({ length: 5 }, () => startMember(kafka, groupId, topic, true)),
            { concurrency: "unbounded" }
          )
          const shares = () => members.flatMap((m) => m.assigned ?? [])
          yield* until(
            "every partition owned once",
            () =>
              members.every((m) => (m.assigned?.length ?? 0) > 0) &&
              new Set(shares()).size === 6 &&
              shares().length === 6,
            40_000
          )
          yield* produce(kafka, topic, 6, values("crowd", 60))
          const received = () => members.flatMap((m) => m.received)
          yield* until("every record", () => received().length >= 60)
          yield* pause(500)
          assert.deepStrictEqual(sortedValues(received()), values("crowd", 60).sort())
        }),
      60_000
    )

    it.effect(
      "a killed member's partitions move to the survivor after its session times out",
      () =>
        Effect.gen(function* () {
          const { brokers } = yield* EmbeddedBroker
          const kafka = clientFor(brokers)
          const topic = unique("killed")
          const groupId = unique("g-killed")
          yield* createTopic(kafka, topic, 3)

          const child = yield* spawnChildMember(brokers[0] ?? "", groupId, topic)
          yield* until("the child's first assignment", () => child.state.assigned !== null)
          const survivor = yield* startMember(kafka, groupId, topic, true)
          yield* until("a split with the child", () => {
            const mine = survivor.assigned ?? []
            const theirs = child.state.assigned ?? []
            return mine.length > 0 && theirs.length > 0 && mine.length + theirs.length === 3
          })
          const killedAt = Date.now()
          child.child.kill("SIGKILL")
          yield* until("the survivor owning every partition", () => survivor.assigned?.length === 3, 30_000)
          assert.isAtLeast(Date.now() - killedAt, 4_000, "moved by the session timeout, not a LeaveGroup")
          yield* produce(kafka, topic, 3, values("orphaned", 9))
          yield* until("the orphaned partitions' records", () => survivor.received.length >= 9)
          assert.deepStrictEqual(sortedValues(survivor.received), values("orphaned", 9).sort())
        }),
      60_000
    )
  })

  it.live(
    "an acknowledged commit survives kill -9 of the broker",
    () =>
      Effect.gen(function* () {
        const dataDir = yield* Effect.acquireRelease(
          Effect.promise(() => NodeFs.mkdtemp(NodePath.join(NodeOs.tmpdir(), "launchpad-groups-crash-"))),
          (dir) => Effect.promise(() => NodeFs.rm(dir, { recursive: true, force: true }))
        )
        const topic = unique("crash")
        const groupId = unique("g-crash")
        const first = yield* spawnBroker(dataDir)
        const kafka = clientFor(first.brokers)
        yield* createTopic(kafka, topic, 1)
        const member = yield* Effect.promise(async () => {
          const consumer = kafka.consumer({ groupId, ...consumerTimings })
          let joined = false
          consumer.on(consumer.events.GROUP_JOIN, () => {
            joined = true
          })
          await consumer.connect()
          await consumer.subscribe({ topic })
          await consumer.run({ autoCommit: false, eachMessage: async () => {} })
          return { consumer, joined: () => joined }
        })
        yield* until("the member's join", member.joined)
        yield* Effect.promise(() => member.consumer.commitOffsets([{ topic, partition: 0, offset: "7" }]))
        first.child.kill("SIGKILL")
        // The consumer's own disconnect would fail against the dead broker; it is simply dropped.
        void member.consumer.disconnect().catch(() => undefined)

        const second = yield* spawnBroker(dataDir)
        const offsets = yield* withAdmin(clientFor(second.brokers), (admin) =>
          admin.fetchOffsets({ groupId, topics: [topic] })
        )
        assert.deepStrictEqual(
          offsets[0]?.partitions.map((p) => [p.partition, p.offset]),
          [[0, "7"]]
        )
      }),
    30_000
  )
})
