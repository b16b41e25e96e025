/**
 * When to retry a failed send: exponential backoff with full jitter (AWS Architecture Blog, "Exponential
 * Backoff And Jitter"), so that many browsers failing together do not retry together, and `Retry-After`
 * when the server sends one.
 */

/**
 * The delay before retry number `attempt` (0 for the first retry): uniform in
 * `[0, min(capMs, baseMs · 2^attempt))`, or the server's `Retry-After` when longer, never above `capMs`.
 */
export const retryDelay = (
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number,
  retryAfterMs?: number
): number => {
  const jittered = Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)))
  return Math.min(capMs, Math.max(jittered, retryAfterMs ?? 0))
}

/** A `Retry-After` header (delay-seconds or an HTTP date) as milliseconds from `nowMs`; undefined when absent or unreadable. */
export const retryAfterMs = (header: string | null | undefined, nowMs: number): number | undefined => {
  if (header == null || header.trim() === "") return undefined
  const seconds = Number(header)
  if (Number.isFinite(seconds)) return seconds < 0 ? undefined : seconds * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs)
}
