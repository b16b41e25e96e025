/**
 * The scoring engine: every tool gets points for what the answers ask and loses points for what it
 * lacks, each with a sentence saying why ("Because you chose …"). Pure and deterministic, so a shared
 * link (the answers) always reopens the same ranking.
 */
import { hash32 } from "../../sdk/Variant.ts"
import { encodeAnswers } from "./answers.ts"
import { type Answers, type Feature, formatEvents, formatUsd, labelOf } from "./model.ts"
import { TOOLS, type Tool } from "./tools.ts"

export const POINTS = {
  /** Per point of use-case fit (0–3). */
  useCaseFit: 12,
  mustHave: 8,
  missingMustHave: -15,
  wrongHosting: -25,
  withinBudget: 10,
  /** Over budget: this much per doubling of (cost + 10) / (budget + 10), at most `overBudgetMax`. */
  overBudgetPerDoubling: -20,
  overBudgetMax: -40,
  /** Per level of engineering a self-hosted tool needs beyond the team's capacity. */
  opsGap: -8,
  managedWithoutEngineers: 6,
  tooMuchVolume: -20,
  provenAtScale: 4
} as const

export interface Reason {
  readonly text: string
  readonly points: number
}

export interface Scored {
  readonly tool: Tool
  readonly score: number
  /** The offering the cost and effort were worked out for. */
  readonly offering: "self" | "cloud"
  /** Rough USD a month at the answered volume and team size. */
  readonly monthlyCost: number
  /** Largest effect first. */
  readonly reasons: ReadonlyArray<Reason>
}

/** How much infrastructure the team can run: 0 none, 1 one service, 2 a few, 3 a platform. */
export const opsCapacity = (engineers: number): 0 | 1 | 2 | 3 =>
  engineers === 0 ? 0 : engineers <= 2 ? 1 : engineers <= 5 ? 2 : 3

const FEATURE_PHRASES: Readonly<Record<Feature, string>> = {
  self_hosted: "it runs on your own servers",
  open_source: "it is open source",
  sql_access: "you can query its raw events with SQL",
  realtime: "it shows numbers within seconds",
  experiments: "it has A/B testing built in",
  session_replay: "it records session replays",
  data_modeling: "it fits versioned SQL models",
  privacy: "it can run cookieless and privacy-first",
  warehouse_native: "it works on top of your warehouse"
}

export const hasFeature = (tool: Tool, feature: Feature): boolean =>
  feature === "self_hosted"
    ? tool.hosting.self !== undefined
    : feature === "open_source"
      ? tool.license === "open_source"
      : tool.features.includes(feature)

/** USD a month for `offering` at the answered team size and volume. */
export const monthlyCost = (tool: Tool, offering: "self" | "cloud", answers: Answers): number => {
  const base = tool.hosting[offering] ?? 0
  const extraEvents = Math.max(0, answers.eventsPerMonth - tool.includedEvents)
  return Math.round(base + tool.perSeat * answers.teamSize + (extraEvents / 1_000_000) * tool.perMillionEvents)
}

/** Which offering the answers point to: the preferred one when the tool has it, else the one it has. */
export const offeringFor = (tool: Tool, answers: Answers): "self" | "cloud" => {
  const { self, cloud } = tool.hosting
  if (self === undefined) return "cloud"
  if (cloud === undefined) return "self"
  if (answers.hosting !== "either") return answers.hosting
  if (opsCapacity(answers.engineers) < tool.ops) return "cloud"
  return monthlyCost(tool, "self", answers) <= monthlyCost(tool, "cloud", answers) ? "self" : "cloud"
}

export const scoreTool = (tool: Tool, answers: Answers): Scored => {
  const reasons: Array<Reason> = []
  const add = (points: number, text: string) => {
    if (points !== 0) reasons.push({ points, text })
  }
  const useCase = `Because you chose “${labelOf(answers.useCase)}”`
  const fit = tool.fit[answers.useCase]
  const fitText = ["it is not made for that", "it covers that only partly", "it covers that well", "it is built for it"]
  add(fit === 0 ? -POINTS.useCaseFit : fit * POINTS.useCaseFit, `${useCase}: ${fitText[fit]}.`)

  for (const feature of answers.features) {
    if (hasFeature(tool, feature))
      add(POINTS.mustHave, `Because you chose “${labelOf(feature)}”: ${FEATURE_PHRASES[feature]}.`)
    else add(POINTS.missingMustHave, `Missing a must-have: “${labelOf(feature)}”.`)
  }

  const offering = offeringFor(tool, answers)
  if (answers.hosting !== "either" && offering !== answers.hosting) {
    add(
      POINTS.wrongHosting,
      answers.hosting === "self"
        ? "You want to host it yourself; it is cloud only."
        : "You want it managed; there is no hosted offer."
    )
  }

  const cost = monthlyCost(tool, offering, answers)
  const at = `at ${formatEvents(answers.eventsPerMonth)}`
  if (cost <= answers.budget) {
    add(
      POINTS.withinBudget,
      cost === 0
        ? `Because you chose a budget of ${formatUsd(answers.budget)}: free ${at}.`
        : `Because you chose a budget of ${formatUsd(answers.budget)}: about ${formatUsd(cost)} a month ${at}.`
    )
  } else {
    const doublings = Math.log2((cost + 10) / (answers.budget + 10))
    add(
      Math.max(POINTS.overBudgetMax, Math.round(POINTS.overBudgetPerDoubling * doublings)),
      `Over your budget of ${formatUsd(answers.budget)}: about ${formatUsd(cost)} a month ${at}.`
    )
  }

  const capacity = opsCapacity(answers.engineers)
  if (offering === "self" && tool.ops > capacity) {
    add(POINTS.opsGap * (tool.ops - capacity), "Running it yourself takes more engineering time than your team has.")
  } else if (offering === "cloud" && capacity === 0) {
    add(POINTS.managedWithoutEngineers, "Because you have no engineers to spare: it is fully managed.")
  }

  if (answers.eventsPerMonth > tool.maxEventsPerMonth) {
    add(POINTS.tooMuchVolume, `It may not keep up with ${formatEvents(answers.eventsPerMonth)}.`)
  } else if (answers.eventsPerMonth >= 1_000_000_000 && tool.maxEventsPerMonth >= 100_000_000_000) {
    add(POINTS.provenAtScale, `Because you chose ${formatEvents(answers.eventsPerMonth)}: proven at that scale.`)
  }

  reasons.sort((a, b) => Math.abs(b.points) - Math.abs(a.points))
  return {
    tool,
    offering,
    monthlyCost: cost,
    score: reasons.reduce((sum, reason) => sum + reason.points, 0),
    reasons
  }
}

/** Every tool, best first (ties: cheaper first, then by name). */
export const rankTools = (answers: Answers, tools: ReadonlyArray<Tool> = TOOLS): ReadonlyArray<Scored> =>
  tools
    .map((tool) => scoreTool(tool, answers))
    .sort((a, b) => b.score - a.score || a.monthlyCost - b.monthlyCost || a.tool.name.localeCompare(b.tool.name))

/** How many recommendations the result page shows. */
export const TOP = 5

/** A short stable id of the answers (the result), for `result_id`. */
export const resultId = (answers: Answers): string => `r_${hash32(encodeAnswers(answers).toString()).toString(36)}`
