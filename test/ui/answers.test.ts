/** Answers as a share link and as saved progress: round trips, and forgiving decoding of hand-edited links. */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import {
  clearProgress,
  decodeAnswers,
  encodeAnswers,
  hasAnswers,
  loadProgress,
  saveProgress
} from "../../src/ui/configurator/answers.ts"
import { DEFAULT_ANSWERS, FEATURES, SLIDERS, USE_CASES } from "../../src/ui/configurator/model.ts"

const AnswersSchema = Schema.Struct({
  teamSize: Schema.Literals(SLIDERS.teamSize.scale),
  engineers: Schema.Literals(SLIDERS.engineers.scale),
  useCase: Schema.Literals(USE_CASES),
  eventsPerMonth: Schema.Literals(SLIDERS.eventsPerMonth.scale),
  features: Schema.Array(Schema.Literals(FEATURES)),
  budget: Schema.Literals(SLIDERS.budget.scale),
  hosting: Schema.Literals(["self", "cloud", "either"])
})

class MemoryStorage {
  readonly values = new Map<string, string>()
  getItem(key: string) {
    return this.values.get(key) ?? null
  }
  setItem(key: string, value: string) {
    this.values.set(key, value)
  }
  removeItem(key: string) {
    this.values.delete(key)
  }
}

describe("share link", () => {
  it("is readable", () => {
    assert.strictEqual(
      encodeAnswers({ ...DEFAULT_ANSWERS, features: ["sql_access", "open_source"] }).toString(),
      "team=10&eng=1&use=product&vol=1000000&f=open_source%2Csql_access&budget=250&host=either"
    )
  })

  it.prop(
    "decodes to the answers it encodes (features in catalogue order, each once)",
    [AnswersSchema],
    ([answers]) => {
      const decoded = decodeAnswers(new URLSearchParams(encodeAnswers(answers).toString()))
      assert.deepStrictEqual(decoded, {
        ...answers,
        features: FEATURES.filter((f) => answers.features.includes(f))
      })
    },
    { arbitrary: { runs: 200 } }
  )

  it("snaps hand-edited numbers to the nearest step, drops unknown options, defaults the rest", () => {
    const decoded = decodeAnswers(
      new URLSearchParams("team=12&eng=-3&use=crm&vol=123456&f=sql_access,teleport&budget=abc")
    )
    assert.deepStrictEqual(decoded, {
      ...DEFAULT_ANSWERS,
      teamSize: 10,
      engineers: 0,
      eventsPerMonth: 100_000,
      features: ["sql_access"]
    })
    assert.isFalse(hasAnswers(new URLSearchParams("utm_source=x")))
    assert.isTrue(hasAnswers(new URLSearchParams("use=web")))
  })
})

describe("saved progress", () => {
  it("survives a reload, and a corrupt or foreign value reads as none", () => {
    const storage = new MemoryStorage()
    const progress = { answers: { ...DEFAULT_ANSWERS, useCase: "bi" as const }, step: 2, startedAt: 1, abandoned: true }
    saveProgress(storage, progress)
    assert.deepStrictEqual(loadProgress(storage), progress)
    clearProgress(storage)
    assert.isUndefined(loadProgress(storage))
    for (const value of ["{", "[]", "42", '{"answers":1,"step":0,"startedAt":0}']) {
      storage.setItem("launchpad_quiz", value)
      assert.isUndefined(loadProgress(storage), value)
    }
    storage.setItem("launchpad_quiz", JSON.stringify({ answers: "use=web", step: 99, startedAt: 5 }))
    assert.strictEqual(loadProgress(storage)?.step, 3, "a step out of range is clamped")
  })
})
