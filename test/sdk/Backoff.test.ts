/** Retry delays: full-jitter bounds as properties, Retry-After parsing as examples. */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { retryAfterMs, retryDelay } from "../../src/sdk/Backoff.ts"

const Attempt = Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 60 }))
const Millis = Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 600_000 }))
const Unit = Schema.Number.check(Schema.isGreaterThanOrEqualTo(0), Schema.isLessThan(1))

describe("retryDelay", () => {
  it.prop(
    "full jitter: in [0, min(cap, base · 2^attempt)), never above the cap",
    [Attempt, Millis, Millis, Unit],
    ([attempt, base, cap, u]) => {
      const delay = retryDelay(attempt, base, cap, () => u)
      assert.isAtLeast(delay, 0)
      assert.isAtMost(delay, cap)
      assert.isBelow(delay, Math.min(cap, base * 2 ** attempt))
    },
    { arbitrary: { runs: 500 } }
  )

  it.prop(
    "with Retry-After: at least Retry-After (when under the cap) and never above the cap",
    [Attempt, Millis, Millis, Unit, Millis],
    ([attempt, base, cap, u, after]) => {
      const delay = retryDelay(attempt, base, cap, () => u, after)
      assert.isAtLeast(delay, Math.min(after, cap))
      assert.isAtMost(delay, cap)
    },
    { arbitrary: { runs: 500 } }
  )

  it("spreads retries over the whole window: the extremes of random() reach both ends", () => {
    assert.strictEqual(
      retryDelay(3, 1000, 60_000, () => 0),
      0
    )
    assert.strictEqual(
      retryDelay(3, 1000, 60_000, () => 0.999_999),
      7999
    )
    assert.strictEqual(
      retryDelay(10, 1000, 60_000, () => 0.999_999),
      59_999
    )
  })
})

describe("retryAfterMs", () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0)

  it("reads delay-seconds and HTTP dates", () => {
    assert.strictEqual(retryAfterMs("1", now), 1000)
    assert.strictEqual(retryAfterMs("0", now), 0)
    assert.strictEqual(retryAfterMs(" 2.5 ", now), 2500)
    assert.strictEqual(retryAfterMs("Thu, 01 Jan 2026 12:00:30 GMT", now), 30_000)
    assert.strictEqual(retryAfterMs("Thu, 01 Jan 2026 11:00:00 GMT", now), 0, "a date in the past means now")
  })

  it("ignores absent, negative or unreadable values", () => {
    for (const header of [null, undefined, "", "  ", "-5", "soon"]) assert.isUndefined(retryAfterMs(header, now))
  })
})
