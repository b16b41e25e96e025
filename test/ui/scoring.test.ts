/** The configurator's scoring engine: rankings and points worked out by hand from tools.ts and POINTS. */
import { assert, describe, it } from "@effect/vitest"
import { Schema } from "effect"
import { type Answers, DEFAULT_ANSWERS, FEATURES, SLIDERS, USE_CASES } from "../../src/ui/configurator/model.ts"
import {
  hasFeature,
  monthlyCost,
  offeringFor,
  opsCapacity,
  rankTools,
  resultId,
  scoreTool
} from "../../src/ui/configurator/scoring.ts"
import { TOOLS, type Tool } from "../../src/ui/configurator/tools.ts"

const tool = (id: string): Tool => {
  const found = TOOLS.find((t) => t.id === id)
  if (found === undefined) throw new Error(`no tool ${id}`)
  return found
}

const privacyFirstWeb: Answers = {
  teamSize: 10,
  engineers: 0,
  useCase: "web",
  eventsPerMonth: 100_000,
  features: ["privacy", "open_source"],
  budget: 50,
  hosting: "cloud"
}

describe("the catalogue", () => {
  it("has at least 20 real tools with unique ids and https sites", () => {
    assert.isAtLeast(TOOLS.length, 20)
    assert.strictEqual(new Set(TOOLS.map((t) => t.id)).size, TOOLS.length)
    for (const t of TOOLS) assert.match(t.url, /^https:\/\//)
    for (const t of TOOLS) assert.isTrue(t.hosting.self !== undefined || t.hosting.cloud !== undefined, t.id)
  })
})

describe("scoreTool", () => {
  it("Plausible for a small privacy-first website with no engineers: 68 points, each explained", () => {
    // use case web, fit 3: 3 × 12 = 36; privacy and open source, both had: 8 + 8; cloud at 9 + 90 000 extra
    // events × 60 $/M = 14.4 → $14 ≤ $50: +10; managed while no engineers: +6. 36 + 16 + 10 + 6 = 68.
    const scored = scoreTool(tool("plausible"), privacyFirstWeb)
    assert.strictEqual(scored.offering, "cloud")
    assert.strictEqual(scored.monthlyCost, 14)
    assert.strictEqual(scored.score, 68)
    assert.deepStrictEqual(
      scored.reasons.map((r) => r.points),
      [36, 10, 8, 8, 6]
    )
    assert.include(scored.reasons[0]?.text ?? "", "Because you chose “Website analytics”")
    assert.include(scored.reasons.map((r) => r.text).join(" "), "Because you chose “Privacy first”")
  })

  it("Google Analytics for the same answers loses 15 per missing must-have: 22 points", () => {
    // 36 − 15 (privacy) − 15 (open source) + 10 (free) + 6 (managed) = 22
    const scored = scoreTool(tool("ga4"), privacyFirstWeb)
    assert.strictEqual(scored.score, 22)
    assert.deepStrictEqual(
      scored.reasons.filter((r) => r.points < 0).map((r) => r.text),
      ["Missing a must-have: “Privacy first”.", "Missing a must-have: “Open source”."]
    )
  })

  it("Snowplow self-hosted at a billion events with no engineers and $500: −24 points", () => {
    const answers: Answers = {
      ...DEFAULT_ANSWERS,
      engineers: 0,
      hosting: "self",
      useCase: "pipeline",
      eventsPerMonth: 1e9,
      budget: 500
    }
    // fit 3: +36. Self: $200 + 900 M extra events × 5 $/M = $4700 > $500: 20 × log2(4710 / 510) = 64 → capped −40.
    // Ops 3 with capacity 0: 3 × −8 = −24. A billion events, built for 100 billion: +4. 36 − 40 − 24 + 4 = −24.
    const scored = scoreTool(tool("snowplow"), answers)
    assert.deepStrictEqual([scored.offering, scored.monthlyCost, scored.score], ["self", 4700, -24])
  })

  it("a cloud-only tool when the team wants to host it itself loses 25", () => {
    const answers: Answers = { ...DEFAULT_ANSWERS, hosting: "self" }
    const withSelf = scoreTool(tool("amplitude"), { ...answers, hosting: "either" })
    const scored = scoreTool(tool("amplitude"), answers)
    assert.strictEqual(scored.offering, "cloud")
    assert.strictEqual(withSelf.score - scored.score, 25)
  })

  it("seat-priced tools cost more for bigger teams", () => {
    // Metabase cloud: $85 + $5 × people.
    assert.strictEqual(monthlyCost(tool("metabase"), "cloud", { ...DEFAULT_ANSWERS, teamSize: 10 }), 135)
    assert.strictEqual(monthlyCost(tool("metabase"), "cloud", { ...DEFAULT_ANSWERS, teamSize: 200 }), 1085)
  })

  it("with no preference, a tool too heavy for the team runs in its cloud", () => {
    assert.strictEqual(offeringFor(tool("posthog"), { ...DEFAULT_ANSWERS, engineers: 0 }), "cloud")
    assert.strictEqual(offeringFor(tool("duckdb"), { ...DEFAULT_ANSWERS, hosting: "cloud" }), "self")
    assert.deepStrictEqual([0, 1, 2, 3, 5, 6, 20].map(opsCapacity), [0, 1, 1, 2, 2, 3, 3])
  })
})

describe("rankTools", () => {
  it("ranks the privacy-first web tools first, ties broken by cost (Umami free, Plausible $14, Matomo $27)", () => {
    const top = rankTools(privacyFirstWeb).slice(0, 3)
    assert.deepStrictEqual(
      top.map((s) => [s.tool.id, s.score, s.monthlyCost]),
      [
        ["umami", 68, 0],
        ["plausible", 68, 14],
        ["matomo", 68, 27]
      ]
    )
  })

  it("a pipeline team with engineers and a budget gets pipeline tools first", () => {
    const answers: Answers = {
      teamSize: 30,
      engineers: 6,
      useCase: "pipeline",
      eventsPerMonth: 100_000_000,
      features: ["self_hosted", "sql_access", "warehouse_native"],
      budget: 2500,
      hosting: "self"
    }
    const ids = rankTools(answers)
      .slice(0, 3)
      .map((s) => s.tool.id)
    for (const id of ids) assert.strictEqual(tool(id).fit.pipeline >= 2, true, id)
    assert.strictEqual(ids[0], "snowplow")
  })

  const AnswersSchema = Schema.Struct({
    teamSize: Schema.Literals(SLIDERS.teamSize.scale),
    engineers: Schema.Literals(SLIDERS.engineers.scale),
    useCase: Schema.Literals(USE_CASES),
    eventsPerMonth: Schema.Literals(SLIDERS.eventsPerMonth.scale),
    features: Schema.Array(Schema.Literals(FEATURES)).check(Schema.isMaxLength(4)),
    budget: Schema.Literals(SLIDERS.budget.scale),
    hosting: Schema.Literals(["self", "cloud", "either"])
  })

  it.prop(
    "a must-have costs exactly 15 to each tool that lacks it and gives 8 to each that has it",
    [AnswersSchema, Schema.Literals(FEATURES)],
    ([answers, feature]) => {
      const without = { ...answers, features: answers.features.filter((f) => f !== feature) }
      const withIt = { ...without, features: [...without.features, feature] }
      for (const t of TOOLS) {
        const delta = scoreTool(t, withIt).score - scoreTool(t, without).score
        assert.strictEqual(delta, hasFeature(t, feature) ? 8 : -15, `${t.id} ${feature}`)
      }
    },
    { arbitrary: { runs: 100 } }
  )

  it.prop(
    "ranks every tool once, best first, and the same answers always give the same result id",
    [AnswersSchema],
    ([answers]) => {
      const ranked = rankTools(answers)
      assert.strictEqual(ranked.length, TOOLS.length)
      for (let i = 1; i < ranked.length; i++) assert.isAtMost(ranked[i]?.score ?? 0, ranked[i - 1]?.score ?? 0)
      assert.strictEqual(resultId(answers), resultId({ ...answers, features: [...answers.features].reverse() }))
      assert.match(resultId(answers), /^r_[0-9a-z]+$/)
    },
    { arbitrary: { runs: 100 } }
  )
})
