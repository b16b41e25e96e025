/**
 * The lake-write work queue: one job in flight, in order; `submit` returns once the worker has the
 * job; a failed job fails the next `submit` or `drain` once, and the job given to that `submit` never runs.
 */
import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect, Fiber } from "effect"
import { makeCommitQueue } from "../../src/stream/CommitQueue.ts"

class WriteFailed {
  readonly _tag = "WriteFailed"
}

describe("commit queue", () => {
  it.effect("keeps one job in flight: the next submit waits until the previous job has finished", () =>
    Effect.gen(function* () {
      const queue = yield* makeCommitQueue<never>()
      const log: Array<string> = []
      const release = yield* Deferred.make<void>()
      const started = yield* Deferred.make<void>()
      yield* queue.submit(
        Effect.gen(function* () {
          log.push("first started")
          yield* Deferred.succeed(started, undefined)
          yield* Deferred.await(release)
          log.push("first done")
        })
      )
      log.push("first submitted")
      yield* Deferred.await(started)
      const second = yield* Effect.forkChild(
        queue
          .submit(Effect.sync(() => log.push("second ran")))
          .pipe(Effect.andThen(Effect.sync(() => log.push("second submitted"))))
      )
      yield* Effect.yieldNow
      yield* Effect.yieldNow
      // The worker is busy with the first job: the second is not handed over yet.
      assert.isUndefined(second.pollUnsafe())
      yield* Deferred.succeed(release, undefined)
      yield* Fiber.join(second)
      yield* queue.drain
      assert.deepStrictEqual(log, ["first submitted", "first started", "first done", "second submitted", "second ran"])
    }).pipe(Effect.scoped)
  )

  it.live("drain waits for the job in flight", () =>
    Effect.gen(function* () {
      const queue = yield* makeCommitQueue<never>()
      let done = false
      yield* queue.submit(
        Effect.sleep("20 millis").pipe(
          Effect.andThen(
            Effect.sync(() => {
              done = true
            })
          )
        )
      )
      assert.isFalse(done)
      yield* queue.drain
      assert.isTrue(done)
    }).pipe(Effect.scoped)
  )

  it.effect("a failed job fails the next submit, whose job never runs, then the queue works again", () =>
    Effect.gen(function* () {
      const queue = yield* makeCommitQueue<WriteFailed>()
      let ran = 0
      yield* queue.submit(Effect.fail(new WriteFailed()))
      const refused = yield* Effect.flip(queue.submit(Effect.sync(() => ran++)))
      assert.instanceOf(refused, WriteFailed)
      assert.strictEqual(ran, 0)
      // Delivered once: the consumer restarts on it.
      yield* queue.drain
      yield* queue.submit(Effect.sync(() => ran++))
      yield* queue.drain
      assert.strictEqual(ran, 1)
    }).pipe(Effect.scoped)
  )

  it.effect("a failed job fails the next drain", () =>
    Effect.gen(function* () {
      const queue = yield* makeCommitQueue<WriteFailed>()
      yield* queue.submit(Effect.fail(new WriteFailed()))
      const failed = yield* Effect.flip(queue.drain)
      assert.instanceOf(failed, WriteFailed)
      yield* queue.drain
    }).pipe(Effect.scoped)
  )
})
