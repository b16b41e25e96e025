/**
 * What event bodies may cost while they arrive, across all connections: the bytes buffered by every
 * body still being received stay under `LAUNCHPAD_MAX_BUFFERED_BYTES` (a body that would pass it is
 * answered 503 with Retry-After and its connection closed), and a body that receives less than
 * `LAUNCHPAD_MIN_BODY_BYTES_PER_S` on average over any window of `SLOW_BODY_WINDOW_MS` (the first one
 * starting when the body does) is answered 408 and closed. The rate is judged per window, not since
 * the start, so a body cannot buy minutes of trickling with a fast first burst. Without these, 400
 * connections trickling never-ending chunked bodies held 341 MiB.
 *
 * One sweeper fiber checks the rates every second, so a request pays a Set insertion and removal, not
 * a timer of its own.
 */
import { Clock, Context, Effect, Layer, Metric, Schedule } from "effect"
import { labelled } from "../../domain/MetricLabels.ts"
import { Settings } from "../../domain/Settings.ts"

/** The window a body's rate is judged over; the first one also gives a slow start its round trips. */
export const SLOW_BODY_WINDOW_MS = 5_000

const SWEEP_EVERY = "1 second"

export const BodyBudgetMetrics = {
  bufferedBytes: Metric.gauge("launchpad_ingest_buffered_body_bytes", {
    description: "bytes of request bodies being received, all connections together"
  }),
  bodiesShed: Metric.counter("launchpad_ingest_bodies_shed_total", {
    description: "request bodies refused while arriving: over the buffer budget (budget) or too slow (too_slow)",
    incremental: true
  })
} as const

const shedCounters = labelled(BodyBudgetMetrics.bodiesShed)

/** One body being received. */
export interface BodyReceipt {
  /** Counts `bytes` more against the budget; false (and nothing counted) when they do not fit. */
  readonly take: (bytes: number) => boolean
  /** The body is complete or abandoned: its bytes leave the budget. Idempotent. */
  readonly close: () => void
}

export interface BodyBudgetShape {
  /** Starts receiving a body; `onTooSlow` is called (once) if the sweeper finds it too slow. */
  readonly open: (onTooSlow: () => void) => BodyReceipt
  readonly bufferedBytes: () => number
}

interface Open {
  received: number
  /** Start of the current window, and what had been received by then. */
  windowStartMs: number
  windowStartReceived: number
  readonly onTooSlow: () => void
}

export const makeBodyBudget = (
  limits: { readonly maxBufferedBytes: number; readonly minBytesPerSecond: number },
  onShed: (reason: "budget" | "too_slow") => void = () => undefined
) => {
  const open = new Set<Open>()
  let buffered = 0
  const budget = {
    open: (onTooSlow: () => void, nowMs: number): BodyReceipt => {
      const entry: Open = { received: 0, windowStartMs: nowMs, windowStartReceived: 0, onTooSlow }
      open.add(entry)
      let closed = false
      return {
        take: (bytes) => {
          if (closed) return false
          if (buffered + bytes > limits.maxBufferedBytes) {
            onShed("budget")
            return false
          }
          buffered += bytes
          entry.received += bytes
          return true
        },
        close: () => {
          if (closed) return
          closed = true
          open.delete(entry)
          buffered -= entry.received
        }
      }
    },
    bufferedBytes: () => buffered,
    /** The bodies whose last full window was below the minimum rate; they are removed. */
    sweep: (nowMs: number): ReadonlyArray<() => void> => {
      const slow: Array<() => void> = []
      for (const entry of open) {
        const elapsed = nowMs - entry.windowStartMs
        if (elapsed < SLOW_BODY_WINDOW_MS) continue
        if ((entry.received - entry.windowStartReceived) * 1000 < limits.minBytesPerSecond * elapsed) {
          open.delete(entry)
          onShed("too_slow")
          slow.push(entry.onTooSlow)
        } else {
          entry.windowStartMs = nowMs
          entry.windowStartReceived = entry.received
        }
      }
      return slow
    }
  }
  return budget
}

export class BodyBudget extends Context.Service<BodyBudget, BodyBudgetShape>()("launchpad/ingest/BodyBudget") {
  static readonly layer = Layer.effect(
    BodyBudget,
    Effect.gen(function* () {
      const settings = yield* Settings
      const context = yield* Effect.context<never>()
      const budget = makeBodyBudget(
        { maxBufferedBytes: settings.maxBufferedBytes, minBytesPerSecond: settings.minBodyBytesPerSecond },
        (reason) => shedCounters({ reason }).updateUnsafe(1, context)
      )
      const sweep = Effect.gen(function* () {
        for (const onTooSlow of budget.sweep(yield* Clock.currentTimeMillis)) onTooSlow()
        yield* Metric.update(BodyBudgetMetrics.bufferedBytes, budget.bufferedBytes())
      })
      yield* sweep.pipe(Effect.repeat(Schedule.spaced(SWEEP_EVERY)), Effect.forkScoped)
      return BodyBudget.of({
        open: (onTooSlow) => budget.open(onTooSlow, Date.now()),
        bufferedBytes: budget.bufferedBytes
      })
    })
  )
}
