import { assert, describe, it } from "@effect/vitest"
import { Result } from "effect"
import { decodeEvent } from "../../src/domain/EventCodec.ts"
import { journey, makeRandom } from "../../src/sim/Journeys.ts"

const simulate = (seed: number, users: number) => {
  const random = makeRandom(seed)
  return Array.from({ length: users }, (_, i) => journey(random, i + 1, Date.UTC(2026, 10, 1, 9) + i * 1_000))
}

describe("Journeys", () => {
  it("every simulated event passes the domain schema", () => {
    for (const visit of simulate(7, 400)) {
      for (const { event } of visit) {
        const decoded = decodeEvent(event)
        assert.isTrue(Result.isSuccess(decoded), JSON.stringify(Result.isFailure(decoded) ? decoded.failure : null))
      }
    }
  })

  it("is repeatable for a seed and different across seeds", () => {
    assert.deepStrictEqual(simulate(42, 50), simulate(42, 50))
    assert.notDeepEqual(simulate(42, 50), simulate(43, 50))
  })

  it("event ids are unique and times increase within a visit", () => {
    const ids = new Set<string>()
    for (const visit of simulate(3, 300)) {
      for (let i = 0; i < visit.length; i++) {
        const current = visit[i]
        const previous = visit[i - 1]
        if (current === undefined) continue
        assert.isFalse(ids.has(current.event.event_id))
        ids.add(current.event.event_id)
        if (previous !== undefined) assert.isAbove(current.atMs, previous.atMs)
      }
    }
  })

  it("the treatment variant completes the quiz more often (the effect the dashboards should find)", () => {
    const rate = { control: { started: 0, completed: 0 }, treatment: { started: 0, completed: 0 } }
    for (const visit of simulate(11, 4_000)) {
      for (const { event } of visit) {
        const variant = event.experiments?.configurator_v2 === "treatment" ? "treatment" : "control"
        if (event.event_type === "quiz_started") rate[variant].started += 1
        if (event.event_type === "quiz_completed") rate[variant].completed += 1
      }
    }
    const control = rate.control.completed / rate.control.started
    const treatment = rate.treatment.completed / rate.treatment.started
    assert.isAbove(treatment - control, 0.1)
  })
})
