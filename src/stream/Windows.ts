/**
 * One-minute tumbling windows on event time, `[t, t + 1 min)`, kept per (minute, partition)
 * (ARCHITECTURE.md "Stream semantics: Windows"). Only accepted (non-late, non-duplicate) events enter a window; a window closes
 * once W ≥ its end, emits one final update and leaves the state. Late events never reach a window, so
 * a closed window never changes. Open windows are bounded by the watermark: at most
 * (delay + batch span) / 1 min per partition, which is why closing scans them all.
 */
import {
  accumulate,
  accumulateSessionStart,
  emptyAccumulators,
  type MeasureAccumulators,
  measuresOf,
  type WindowMeasures
} from "../domain/KpiMeasures.ts"
import { WINDOW_MS, windowStartOf } from "../domain/KpiMinute.ts"
import type { StreamEvent } from "./StreamEvent.ts"

/** The open window of one (minute, partition): its measures' accumulators (domain/KpiMeasures.ts). */
export interface WindowAccumulator {
  readonly minuteStartMs: number
  readonly partition: number
  readonly measures: MeasureAccumulators
}

export const emptyWindow = (minuteStartMs: number, partition: number): WindowAccumulator => ({
  minuteStartMs,
  partition,
  measures: emptyAccumulators()
})

/** Open windows: partition → minute start → accumulator. */
export interface WindowState {
  readonly byPartition: Map<number, Map<number, WindowAccumulator>>
}

export interface WindowUpdate {
  readonly minuteStartMs: number
  readonly partition: number
  /** True on the one final update a window emits when W passes its end. */
  readonly closed: boolean
  readonly measures: WindowMeasures
}

export const emptyWindows = (): WindowState => ({ byPartition: new Map() })

export const restoreWindows = (accumulators: Iterable<WindowAccumulator>): WindowState => {
  const windows = emptyWindows()
  for (const acc of accumulators) minutesOf(windows, acc.partition).set(acc.minuteStartMs, acc)
  return windows
}

const minutesOf = (windows: WindowState, partition: number): Map<number, WindowAccumulator> => {
  let minutes = windows.byPartition.get(partition)
  if (minutes === undefined) {
    minutes = new Map()
    windows.byPartition.set(partition, minutes)
  }
  return minutes
}

/** Adds an accepted event to its window (opening it) and marks the window as touched by this batch. */
export const addWindowEvent = (
  windows: WindowState,
  event: StreamEvent,
  processingTimeMs: number,
  touched: Set<WindowAccumulator>
): void => {
  const minutes = minutesOf(windows, event.partition)
  const minuteStartMs = windowStartOf(event.eventTimeMs)
  let acc = minutes.get(minuteStartMs)
  if (acc === undefined) {
    acc = emptyWindow(minuteStartMs, event.partition)
    minutes.set(minuteStartMs, acc)
  }
  accumulate(acc.measures, event, processingTimeMs)
  touched.add(acc)
}

/**
 * Counts a session start in the window of its first event. That event was accepted into this window
 * and W has just passed it but not yet the window's end (starts are settled before windows close), so
 * the window is open; it is missing only when its partition was revoked, and then there is nothing to count.
 */
export const addSessionStart = (
  windows: WindowState,
  partition: number,
  startMs: number,
  touched: Set<WindowAccumulator>
): void => {
  const acc = windows.byPartition.get(partition)?.get(windowStartOf(startMs))
  if (acc === undefined) return
  accumulateSessionStart(acc.measures)
  touched.add(acc)
}

/** Whether the window holding `eventTimeMs` has closed under `watermarkMs` (W ≥ end). */
export const isWindowClosed = (eventTimeMs: number, watermarkMs: number): boolean =>
  watermarkMs >= windowStartOf(eventTimeMs) + WINDOW_MS

/** Removes every window with W ≥ end and returns them. */
export const closeWindows = (windows: WindowState, watermarkMs: number): Array<WindowAccumulator> => {
  const closed: Array<WindowAccumulator> = []
  for (const [partition, minutes] of windows.byPartition) {
    for (const [minuteStartMs, acc] of minutes) {
      if (watermarkMs >= minuteStartMs + WINDOW_MS) {
        closed.push(acc)
        minutes.delete(minuteStartMs)
      }
    }
    if (minutes.size === 0) windows.byPartition.delete(partition)
  }
  return closed
}

/** One update per touched or closed window, closed ones flagged, ordered by (minute, partition). */
export const windowUpdates = (
  touched: ReadonlySet<WindowAccumulator>,
  closed: ReadonlyArray<WindowAccumulator>
): Array<WindowUpdate> => {
  const closedSet = new Set(closed)
  const updates: Array<WindowUpdate> = []
  for (const acc of closed) updates.push(updateOf(acc, true))
  for (const acc of touched) if (!closedSet.has(acc)) updates.push(updateOf(acc, false))
  return updates.sort((a, b) => a.minuteStartMs - b.minuteStartMs || a.partition - b.partition)
}

const updateOf = (acc: WindowAccumulator, closed: boolean): WindowUpdate => ({
  minuteStartMs: acc.minuteStartMs,
  partition: acc.partition,
  closed,
  measures: measuresOf(acc.measures)
})

export const dropWindowPartitions = (windows: WindowState, partitions: ReadonlySet<number>): void => {
  for (const partition of partitions) windows.byPartition.delete(partition)
}

export const openWindowCount = (windows: WindowState): number => {
  let n = 0
  for (const minutes of windows.byPartition.values()) n += minutes.size
  return n
}
