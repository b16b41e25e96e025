/**
 * The processor's lake-write work queue: a worker fiber runs the submitted jobs (the lake files and
 * commit of one commit set each, LakeCommitter.ts) one after the other, in the background of the
 * micro-batches planned meanwhile.
 *
 * At most one job is in flight: the queue has no room, so an offer completes only when the worker
 * takes it, that is once it has finished the job before. A lake slower than the input therefore holds
 * back planning instead of piling up planned batches in memory; and one, not more, because a deeper
 * queue held more batches in memory (catch-up: ~75 MB per 50k events) without writing faster.
 *
 * A failed job does not stop the worker: its failure is kept and fails the next `submit` or `drain`
 * (once, as the consumer restarts on it), before anything new is handed over.
 */
import { type Cause, Effect, Queue, type Scope } from "effect"

export interface CommitQueue<E> {
  /** Waits until the previous job has finished, then hands `job` to the worker and returns. */
  readonly submit: (job: Effect.Effect<void, E>) => Effect.Effect<void, E>
  /** Waits until every submitted job has finished. */
  readonly drain: Effect.Effect<void, E>
}

/** A queue and its worker, for the lifetime of the scope (one run of the consumer). */
export const makeCommitQueue = <E>(): Effect.Effect<CommitQueue<E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.bounded<Effect.Effect<void, E>>(0)
    let failure: Cause.Cause<E> | undefined
    yield* Queue.take(queue).pipe(
      Effect.flatMap((job) =>
        Effect.catchCause(job, (cause) =>
          Effect.sync(() => {
            failure = cause
          })
        )
      ),
      Effect.forever,
      Effect.forkScoped
    )
    // The worker takes the no-op only once it is idle, with the failure of the job before it kept.
    const drain = Effect.suspend(() => Queue.offer(queue, Effect.void)).pipe(
      Effect.andThen(
        Effect.suspend(() => {
          const failed = failure
          failure = undefined
          return failed === undefined ? Effect.void : Effect.failCause(failed)
        })
      )
    )
    const submit = (job: Effect.Effect<void, E>) => Effect.andThen(drain, Effect.asVoid(Queue.offer(queue, job)))
    return { submit, drain }
  })
