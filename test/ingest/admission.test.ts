/**
 * Ingest's in-flight slots come back on every exit path. The producer here is an in-memory stand-in
 * (this tests the admission logic, not Kafka): the input throws at its k-th property read, for every
 * k a full classification makes, so a throw lands in each step (dispatch, user-agent filling,
 * validation, enrichment, the dead letter's serialisation); the producer also fails, dies and hangs.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, Layer, Option } from "effect"
import { Settings } from "../../src/domain/Settings.ts"
import { Ingestor, makeSlots, type RequestMeta } from "../../src/ingest/server/Ingestor.ts"
import { admissionStatus, WEDGED_AFTER_MS } from "../../src/ingest/server/Readiness.ts"
import { EventProducer, type EventProducerShape } from "../../src/kafka/EventProducer.ts"
import { BrokerUnavailable } from "../../src/kafka/Kafka.ts"
import { validEvent } from "./fixtures.ts"

const meta: RequestMeta = {
  requestId: "admission-test",
  receivedAtMs: Date.now(),
  writeKeyId: undefined,
  ipHash: undefined,
  userAgent: { device_type: "desktop", os: "Linux", browser: "Firefox 140" }
}

/** An input that behaves like `value` except that its `throwAt`-th property read (over all depths) throws. */
const throwingAt = (value: unknown, throwAt: number, reads: { count: number }): unknown => {
  const wrap = (target: unknown): unknown => {
    if (typeof target !== "object" || target === null) return target
    return new Proxy(target, {
      get: (t, key, receiver) => {
        reads.count++
        if (reads.count === throwAt) throw new Error(`injected at read ${throwAt}`)
        return wrap(Reflect.get(t, key, receiver))
      }
    })
  }
  return wrap(value)
}

const producerLayer = (publish: EventProducerShape["publish"]) =>
  Layer.succeed(
    EventProducer,
    EventProducer.of({ publish, pendingRecords: Effect.succeed(0), available: Effect.succeed(true) })
  )

const acking: EventProducerShape["publish"] = (topic, records) =>
  Effect.succeed(records.map((_, offset) => ({ topic, partition: 0, offset: BigInt(offset) })))

const ingestorWith = (publish: EventProducerShape["publish"]) =>
  Ingestor.layer.pipe(Layer.provide(producerLayer(publish)), Layer.provide(Settings.layerWith({ maxInFlight: 4 })))

const inFlight = Effect.gen(function* () {
  const ingestor = yield* Ingestor
  return (yield* ingestor.admission).inFlight
})

describe("in-flight slots", () => {
  it.effect("a throw at any step of classification answers the request and gives the slot back", () =>
    Effect.gen(function* () {
      const ingestor = yield* Ingestor
      // One valid and one invalid event, so both the enrichment and the dead-letter paths run.
      const inputs = [validEvent({ context: { page_path: "/x" } }), { ...validEvent(), event_id: "nope" }]
      const total = { count: 0 }
      const clean = yield* ingestor.ingest([throwingAt(inputs[0], 0, total), throwingAt(inputs[1], 0, total)], meta)
      assert.strictEqual(clean.accepted, 1)
      assert.strictEqual(clean.rejected, 1)
      assert.isAbove(total.count, 20)
      for (let k = 1; k <= total.count; k++) {
        const reads = { count: 0 }
        const exit = yield* Effect.exit(
          ingestor.ingest([throwingAt(inputs[0], k, reads), throwingAt(inputs[1], k, reads)], meta)
        )
        assert.isTrue(Exit.isFailure(exit), `read ${k} should have thrown`)
        assert.strictEqual(yield* inFlight, 0, `slot leaked after a throw at read ${k}`)
      }
      // And the ingestor still takes requests.
      const after = yield* ingestor.ingest([validEvent()], meta)
      assert.strictEqual(after.accepted, 1)
    }).pipe(Effect.provide(ingestorWith(acking)))
  )

  it.effect("a failing, dying or interrupted produce gives the slot back", () =>
    Effect.gen(function* () {
      const failing = yield* Effect.exit(
        Effect.gen(function* () {
          const ingestor = yield* Ingestor
          return yield* ingestor.ingest([validEvent()], meta)
        }).pipe(Effect.provide(ingestorWith(() => Effect.fail(new BrokerUnavailable({ message: "down" })))))
      )
      assert.isTrue(Exit.isFailure(failing))
      yield* Effect.gen(function* () {
        const ingestor = yield* Ingestor
        const exit = yield* Effect.exit(ingestor.ingest([validEvent()], meta))
        assert.isTrue(Exit.isFailure(exit))
        assert.strictEqual(yield* inFlight, 0)
      }).pipe(Effect.provide(ingestorWith(() => Effect.die(new Error("bug")))))
      // Producing is uninterruptible (a request is never half written); an interrupted request gives
      // its slot back once its records are acknowledged.
      const gate = yield* Deferred.make<void>()
      yield* Effect.gen(function* () {
        const ingestor = yield* Ingestor
        const fiber = yield* Effect.forkChild(ingestor.ingest([validEvent()], meta))
        yield* Effect.yieldNow
        assert.strictEqual(yield* inFlight, 1)
        const interrupting = yield* Effect.forkChild(Fiber.interrupt(fiber))
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(interrupting)
        assert.strictEqual(yield* inFlight, 0)
      }).pipe(
        Effect.provide(ingestorWith((topic, records) => Effect.andThen(Deferred.await(gate), acking(topic, records))))
      )
    })
  )

  const gate = Deferred.makeUnsafe<void>()
  it.effect("when every slot is taken the next request is refused at once with 503 overloaded", () =>
    Effect.gen(function* () {
      const ingestor = yield* Ingestor
      const held = yield* Effect.forEach([1, 2, 3, 4], () => Effect.forkChild(ingestor.ingest([validEvent()], meta)))
      yield* Effect.yieldNow
      assert.strictEqual(yield* inFlight, 4)
      const refused = yield* Effect.flip(ingestor.ingest([validEvent()], meta))
      assert.strictEqual(refused.error.code, "overloaded")
      assert.strictEqual(refused.error.status, 503)
      yield* Deferred.succeed(gate, undefined)
      const answers = yield* Fiber.joinAll(held)
      assert.deepStrictEqual(
        answers.map((a) => a.accepted),
        [1, 1, 1, 1]
      )
      assert.strictEqual(yield* inFlight, 0)
    }).pipe(
      Effect.provide(ingestorWith((topic, records) => Effect.andThen(Deferred.await(gate), acking(topic, records))))
    )
  )
})

describe("admission in readiness", () => {
  it("up with free slots; down when saturated, or when held slots stop coming back", () => {
    const changes: Array<number> = []
    const slots = makeSlots(2, (n) => changes.push(n))
    assert.deepStrictEqual(admissionStatus(slots.state(), 0), { status: "up", detail: "0 of 2 request slots in use" })
    assert.isTrue(slots.tryAcquire(1_000))
    assert.strictEqual(admissionStatus(slots.state(), 1_000 + WEDGED_AFTER_MS).status, "up")
    assert.strictEqual(admissionStatus(slots.state(), 1_001 + WEDGED_AFTER_MS).status, "down")
    assert.match(Option.getOrThrow(Option.fromNullishOr(admissionStatus(slots.state(), 100_000).detail)), /^wedged/)
    assert.isTrue(slots.tryAcquire(2_000))
    assert.isFalse(slots.tryAcquire(2_000))
    assert.deepStrictEqual(admissionStatus(slots.state(), 2_000), {
      status: "down",
      detail: "saturated: 2 of 2 request slots in use"
    })
    // A release restarts the stall clock: slots are moving.
    slots.release(50_000)
    assert.strictEqual(admissionStatus(slots.state(), 50_000 + WEDGED_AFTER_MS).status, "up")
    slots.release(60_000)
    assert.strictEqual(slots.state().stalledSinceMs, null)
    assert.deepStrictEqual(changes, [1, 2, 1, 0])
  })
})
