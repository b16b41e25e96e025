/**
 * The stream processor's state: the watermark and the dedup, session and window state, all plain
 * data (`encodeState` writes it as JSON for the checkpoint), bounded by the watermark horizon.
 *
 * Ownership: `processBatch`, `closeAll` and `dropPartitions` take the state they are given and return
 * its successor, reusing its maps (copying them would make a batch cost O(state)). The state passed
 * in is spent: using it again throws instead of silently reading maps that have moved on. To retry a
 * batch, resume from the checkpoint, as after a crash (ARCHITECTURE.md "Stream semantics: Checkpoint").
 */
import { type DedupState, emptyDedup } from "./Dedup.ts"
import { emptySessions, type SessionState } from "./Sessions.ts"
import { initialWatermarkMs } from "./Watermark.ts"
import { emptyWindows, openWindowCount, type WindowState } from "./Windows.ts"

/** Shared by a state and its successors; only the newest one has the current generation. */
interface Owner {
  generation: number
}

export interface StreamState {
  readonly watermarkMs: number
  readonly dedup: DedupState
  readonly sessions: SessionState
  readonly windows: WindowState
  readonly generation: number
  readonly owner: Owner
}

export const restoreState = (parts: {
  readonly watermarkMs: number
  readonly dedup: DedupState
  readonly sessions: SessionState
  readonly windows: WindowState
}): StreamState => ({ ...parts, generation: 0, owner: { generation: 0 } })

export const emptyState = (): StreamState =>
  restoreState({
    watermarkMs: initialWatermarkMs,
    dedup: emptyDedup(),
    sessions: emptySessions(),
    windows: emptyWindows()
  })

/** Throws when `state` was already passed to a function that took ownership of it. */
export const assertCurrent = (state: StreamState): void => {
  if (state.owner.generation !== state.generation) {
    throw new Error(
      "StreamState used after processBatch, closeAll or dropPartitions took it; use the state they returned " +
        "(or resume from a checkpoint)"
    )
  }
}

/** Takes ownership of `state`: it is spent from now on; the returned successor shares its maps. */
export const takeOwnership = (state: StreamState): StreamState => {
  assertCurrent(state)
  state.owner.generation++
  return { ...state, generation: state.owner.generation }
}

export interface StateSizes {
  readonly dedupEntries: number
  readonly sessionUsers: number
  readonly pendingSessionEvents: number
  readonly foldedSessions: number
  readonly openWindows: number
}

/** How much state is held (for metrics and the boundedness test). */
export const stateSizes = (state: StreamState): StateSizes => {
  assertCurrent(state)
  let pendingSessionEvents = 0
  let foldedSessions = 0
  for (const user of state.sessions.users.values()) {
    pendingSessionEvents += user.pending.length
    foldedSessions += user.folded.length
  }
  return {
    dedupEntries: state.dedup.entries.size,
    sessionUsers: state.sessions.users.size,
    pendingSessionEvents,
    foldedSessions,
    openWindows: openWindowCount(state.windows)
  }
}
