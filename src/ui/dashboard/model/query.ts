/**
 * The dashboard's view in its URL: the date range and device every report shares, and each section's
 * own choices. A link reproduces the view; a value the API would refuse is ignored (its default shown).
 */
import { Schema } from "effect"
import { FUNNEL_BREAKDOWNS, FUNNEL_MODES, MART_FUNNELS, MAX_FUNNEL_STEPS } from "../../../domain/Funnels.ts"
import { ATTRIBUTION_MODELS, RETENTION_GROUPS } from "../../../domain/Metrics.ts"
import {
  DeviceFilter,
  IsoDay,
  MAX_FUNNEL_WINDOW_DAYS,
  MAX_RANGE_DAYS,
  StepsParam
} from "../../../models/api/Reports.ts"

export type Device = typeof DeviceFilter.Type

const isDay = Schema.is(IsoDay("day"))
const isDevice = Schema.is(DeviceFilter)
const isSteps = Schema.is(StepsParam)

const DAY_MS = 86_400_000

export const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`)
export const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10)
export const addDays = (day: string, days: number): string => dayOf(dayMs(day) + days * DAY_MS)
/** Days in [from, to], both included. */
export const daysIn = (range: { readonly from: string; readonly to: string }): number =>
  Math.round((dayMs(range.to) - dayMs(range.from)) / DAY_MS) + 1

/** The same number of days just before `range`. */
export const previousRange = (range: { readonly from: string; readonly to: string }) => ({
  from: addDays(range.from, -daysIn(range)),
  to: addDays(range.from, -1)
})

/** The shared filters: both days or neither (a half range would be the API's 30 days from or to it). */
export interface Filters {
  readonly range: { readonly from: string; readonly to: string } | undefined
  readonly device: Device
}

type Params = Readonly<Record<string, string | undefined>>

export const filtersOf = (params: Params): Filters => {
  const from = params.from
  const to = params.to
  const valid =
    from !== undefined &&
    to !== undefined &&
    isDay(from) &&
    isDay(to) &&
    from <= to &&
    daysIn({ from, to }) <= MAX_RANGE_DAYS
  const device = params.device
  return {
    range: valid ? { from, to } : undefined,
    device: device !== undefined && isDevice(device) ? device : "all"
  }
}

const oneOf = <const T extends ReadonlyArray<string>>(values: T, value: string | undefined, fallback: T[number]) =>
  value !== undefined && (values as ReadonlyArray<string>).includes(value) ? (value as T[number]) : fallback

export const FUNNEL_NAMES = MART_FUNNELS.map((f) => f.funnel)
export const DEFAULT_WINDOW_DAYS = 14

export const funnelChoicesOf = (params: Params) => {
  const window = Number(params.window)
  return {
    funnel: oneOf(FUNNEL_NAMES, params.funnel, "configurator"),
    mode: oneOf(FUNNEL_MODES, params.mode, "ordered"),
    breakdown: oneOf(FUNNEL_BREAKDOWNS, params.breakdown, "none"),
    windowDays:
      /^[0-9]{1,2}$/.test(params.window ?? "") && window >= 1 && window <= MAX_FUNNEL_WINDOW_DAYS
        ? window
        : DEFAULT_WINDOW_DAYS
  }
}

/** The ad-hoc funnel's steps (`steps=a,b,c`), when valid. */
export const adHocStepsOf = (params: Params): ReadonlyArray<string> | undefined => {
  const steps = params.steps
  return steps !== undefined && isSteps(steps) ? steps.split(",") : undefined
}

export const MAX_ADHOC_STEPS = MAX_FUNNEL_STEPS

export const GRAINS = ["day", "week", "month"] as const
export type Grain = (typeof GRAINS)[number]

export const retentionGroupOf = (params: Params) => oneOf(RETENTION_GROUPS, params.group, "all")
export const touchOf = (params: Params) => oneOf(ATTRIBUTION_MODELS, params.touch, "first_touch")
export const grainOf = (params: Params): Grain => oneOf(GRAINS, params.grain, "day")
