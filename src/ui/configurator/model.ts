/**
 * The questions of "Find your analytics stack": four steps (team, use case, must-have features, budget),
 * their sliders and options, and the answers they produce. Everything the UI renders, the scoring engine
 * reads and the share link encodes is named here once.
 */

export const QUIZ_ID = "analytics_stack"

export const USE_CASES = ["product", "web", "bi", "pipeline"] as const
export type UseCase = (typeof USE_CASES)[number]

export const FEATURES = [
  "self_hosted",
  "open_source",
  "sql_access",
  "realtime",
  "experiments",
  "session_replay",
  "data_modeling",
  "privacy",
  "warehouse_native"
] as const
export type Feature = (typeof FEATURES)[number]

export const HOSTING = ["self", "cloud", "either"] as const
export type Hosting = (typeof HOSTING)[number]

export interface Answers {
  /** People who will read the numbers. */
  readonly teamSize: number
  /** Engineers who could run data infrastructure. */
  readonly engineers: number
  readonly useCase: UseCase
  readonly eventsPerMonth: number
  readonly features: ReadonlyArray<Feature>
  /** USD a month. */
  readonly budget: number
  readonly hosting: Hosting
}

export const DEFAULT_ANSWERS: Answers = {
  teamSize: 10,
  engineers: 1,
  useCase: "product",
  eventsPerMonth: 1_000_000,
  features: [],
  budget: 250,
  hosting: "either"
}

/** A slider moves over a fixed scale of values (log-like where the range spans orders of magnitude). */
export interface SliderSpec {
  readonly id: "team_size" | "engineers" | "events_per_month" | "budget"
  readonly answer: "teamSize" | "engineers" | "eventsPerMonth" | "budget"
  readonly label: string
  readonly hint: string
  readonly scale: ReadonlyArray<number>
  readonly format: (value: number) => string
}

export interface OptionSpec<A extends string> {
  readonly id: A
  readonly label: string
  readonly description: string
}

export type OptionGroupSpec =
  | {
      readonly kind: "single"
      readonly answer: "useCase"
      readonly legend: string
      readonly options: ReadonlyArray<OptionSpec<UseCase>>
    }
  | {
      readonly kind: "single"
      readonly answer: "hosting"
      readonly legend: string
      readonly options: ReadonlyArray<OptionSpec<Hosting>>
    }
  | {
      readonly kind: "multi"
      readonly answer: "features"
      readonly legend: string
      readonly options: ReadonlyArray<OptionSpec<Feature>>
    }

export interface StepSpec {
  readonly id: "team" | "use_case" | "features" | "budget"
  readonly title: string
  readonly lead: string
  readonly sliders: ReadonlyArray<SliderSpec>
  readonly options: ReadonlyArray<OptionGroupSpec>
}

const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 })
const usd = new Intl.NumberFormat("en", { style: "currency", currency: "USD", maximumFractionDigits: 0 })

export const formatEvents = (value: number) => `${compact.format(value)} events a month`
export const formatUsd = (value: number) => usd.format(value)

export const SLIDERS = {
  teamSize: {
    id: "team_size",
    answer: "teamSize",
    label: "People who will use the numbers",
    hint: "Product managers, marketers, analysts and engineers who read dashboards.",
    scale: [1, 2, 3, 5, 10, 15, 20, 30, 50, 75, 100, 200, 500, 1000],
    format: (value) => (value === 1 ? "1 person" : `${compact.format(value)} people`)
  },
  engineers: {
    id: "engineers",
    answer: "engineers",
    label: "Engineers who could run data infrastructure",
    hint: "Zero is a fine answer: it points to fully managed tools.",
    scale: [0, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20],
    format: (value) => (value === 1 ? "1 engineer" : `${value} engineers`)
  },
  eventsPerMonth: {
    id: "events_per_month",
    answer: "eventsPerMonth",
    label: "Events you expect to track",
    hint: "Page views, clicks and server events together.",
    scale: [10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000],
    format: formatEvents
  },
  budget: {
    id: "budget",
    answer: "budget",
    label: "Monthly budget for the whole stack",
    hint: "Licences and servers; your own time is not counted.",
    scale: [0, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000],
    format: (value) => (value === 0 ? "Free only" : `${formatUsd(value)} a month`)
  }
} as const satisfies Record<string, SliderSpec>

export const USE_CASE_OPTIONS: ReadonlyArray<OptionSpec<UseCase>> = [
  {
    id: "product",
    label: "Product analytics",
    description: "Funnels, retention and experiments inside your app."
  },
  { id: "web", label: "Website analytics", description: "Traffic, campaigns and conversions on your site." },
  { id: "bi", label: "Business dashboards", description: "Reports on your own databases for the whole company." },
  { id: "pipeline", label: "Own the raw events", description: "Collect events into your warehouse and model them." }
]

export const FEATURE_OPTIONS: ReadonlyArray<OptionSpec<Feature>> = [
  { id: "self_hosted", label: "Runs on our servers", description: "Data never leaves our infrastructure." },
  { id: "open_source", label: "Open source", description: "An OSI licence: no lock-in, code we can read." },
  { id: "sql_access", label: "SQL on raw events", description: "Ask any question the UI does not answer." },
  { id: "realtime", label: "Real time", description: "Numbers within seconds, not the next morning." },
  { id: "experiments", label: "A/B testing", description: "Experiments and feature flags with statistics." },
  { id: "session_replay", label: "Session replay", description: "Watch what users did before they churned." },
  { id: "data_modeling", label: "Data modelling", description: "Versioned SQL models (dbt style) over raw data." },
  { id: "privacy", label: "Privacy first", description: "Cookieless, or EU hosting without consent banners." },
  { id: "warehouse_native", label: "Warehouse native", description: "Works on top of our own warehouse." }
]

export const HOSTING_OPTIONS: ReadonlyArray<OptionSpec<Hosting>> = [
  { id: "self", label: "We host it", description: "Our servers, our data, our upgrades." },
  { id: "cloud", label: "Managed cloud", description: "Someone else runs it; we pay for it." },
  { id: "either", label: "No preference", description: "Whatever fits best." }
]

export const STEPS: readonly [StepSpec, StepSpec, StepSpec, StepSpec] = [
  {
    id: "team",
    title: "Your team",
    lead: "Who reads the numbers, and who could keep the lights on?",
    sliders: [SLIDERS.teamSize, SLIDERS.engineers],
    options: []
  },
  {
    id: "use_case",
    title: "Your use case",
    lead: "What should the stack answer first, and at what volume?",
    sliders: [SLIDERS.eventsPerMonth],
    options: [{ kind: "single", answer: "useCase", legend: "Main use case", options: USE_CASE_OPTIONS }]
  },
  {
    id: "features",
    title: "Must-have features",
    lead: "Pick every feature you cannot do without. Leave them all unticked if none is a must.",
    sliders: [],
    options: [{ kind: "multi", answer: "features", legend: "Must-have features", options: FEATURE_OPTIONS }]
  },
  {
    id: "budget",
    title: "Your budget",
    lead: "What can you spend each month, and who should run it?",
    sliders: [SLIDERS.budget],
    options: [{ kind: "single", answer: "hosting", legend: "Hosting", options: HOSTING_OPTIONS }]
  }
]

/** The labels of option ids, for explanations ("because you chose …"). */
export const labelOf = (id: UseCase | Feature | Hosting): string =>
  [...USE_CASE_OPTIONS, ...FEATURE_OPTIONS, ...HOSTING_OPTIONS].find((option) => option.id === id)?.label ?? id
