/**
 * Answers as a URL query (the share link: readable, and it reopens the same result) and in localStorage
 * (a reload keeps the quiz where it was). Decoding never fails: a value off its scale snaps to the
 * nearest step, an unknown option is dropped, a missing one takes its default.
 */
import {
  type Answers,
  DEFAULT_ANSWERS,
  FEATURES,
  type Feature,
  HOSTING,
  type Hosting,
  SLIDERS,
  USE_CASES,
  type UseCase
} from "./model.ts"

const nearest = (scale: ReadonlyArray<number>, value: number): number =>
  scale.reduce((best, step) => (Math.abs(step - value) < Math.abs(best - value) ? step : best), scale[0] ?? value)

const numberOr = (text: string | null, scale: ReadonlyArray<number>, fallback: number): number => {
  const value = Number(text ?? Number.NaN)
  return text === null || text.trim() === "" || !Number.isFinite(value) ? fallback : nearest(scale, value)
}

const oneOf = <A extends string>(values: ReadonlyArray<A>, text: string | null, fallback: A): A =>
  values.find((value) => value === text) ?? fallback

export const encodeAnswers = (answers: Answers): URLSearchParams =>
  new URLSearchParams({
    team: String(answers.teamSize),
    eng: String(answers.engineers),
    use: answers.useCase,
    vol: String(answers.eventsPerMonth),
    f: FEATURES.filter((feature) => answers.features.includes(feature)).join(","),
    budget: String(answers.budget),
    host: answers.hosting
  })

export const decodeAnswers = (params: URLSearchParams): Answers => {
  const features = (params.get("f") ?? "").split(",")
  return {
    teamSize: numberOr(params.get("team"), SLIDERS.teamSize.scale, DEFAULT_ANSWERS.teamSize),
    engineers: numberOr(params.get("eng"), SLIDERS.engineers.scale, DEFAULT_ANSWERS.engineers),
    useCase: oneOf<UseCase>(USE_CASES, params.get("use"), DEFAULT_ANSWERS.useCase),
    eventsPerMonth: numberOr(params.get("vol"), SLIDERS.eventsPerMonth.scale, DEFAULT_ANSWERS.eventsPerMonth),
    features: FEATURES.filter((feature: Feature) => features.includes(feature)),
    budget: numberOr(params.get("budget"), SLIDERS.budget.scale, DEFAULT_ANSWERS.budget),
    hosting: oneOf<Hosting>(HOSTING, params.get("host"), DEFAULT_ANSWERS.hosting)
  }
}

/** True when the query carries answers (a shared result link) rather than nothing. */
export const hasAnswers = (params: URLSearchParams): boolean => params.has("use") || params.has("team")

/** The quiz in progress, as kept across reloads. */
export interface QuizProgress {
  readonly answers: Answers
  /** Index of the step shown. */
  readonly step: number
  /** Epoch ms of quiz_started. */
  readonly startedAt: number
  /** quiz_abandoned was sent for this attempt. */
  readonly abandoned: boolean
}

const KEY = "launchpad_quiz"

export const loadProgress = (storage: Pick<Storage, "getItem"> | undefined): QuizProgress | undefined => {
  try {
    const value: unknown = JSON.parse(storage?.getItem(KEY) ?? "null")
    if (typeof value !== "object" || value === null) return undefined
    const field = (key: string): unknown => (key in value ? Reflect.get(value, key) : undefined)
    const [answers, step, startedAt, abandoned] = ["answers", "step", "startedAt", "abandoned"].map(field)
    if (typeof answers !== "string" || typeof step !== "number" || typeof startedAt !== "number") return undefined
    return {
      answers: decodeAnswers(new URLSearchParams(answers)),
      step: Math.max(0, Math.min(3, Math.trunc(step))),
      startedAt,
      abandoned: abandoned === true
    }
  } catch {
    return undefined
  }
}

export const saveProgress = (storage: Pick<Storage, "setItem"> | undefined, progress: QuizProgress): void => {
  try {
    storage?.setItem(KEY, JSON.stringify({ ...progress, answers: encodeAnswers(progress.answers).toString() }))
  } catch {
    // Storage full or blocked: the quiz still works, it just does not survive a reload.
  }
}

export const clearProgress = (storage: Pick<Storage, "removeItem"> | undefined): void => {
  try {
    storage?.removeItem(KEY)
  } catch {
    // Blocked storage: nothing was kept.
  }
}
