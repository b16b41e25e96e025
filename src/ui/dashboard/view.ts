/**
 * What every section reads: the URL's parameters (the view), setting them, the shared filters, and the
 * engagement and revenue reports of the range and of the period before it, which the overview, the
 * trends and the business sections share (one request each, not one per section).
 */
import { useSearchParams } from "@solidjs/router"
import { createEffect, createSignal } from "solid-js"
import type { EngagementReport, RevenueReport } from "../../models/api/Reports.ts"
import { request } from "./api/client.ts"
import { createReport, okValue, type Report } from "./api/report.ts"
import { type Filters, filtersOf, previousRange } from "./model/query.ts"

export type Params = Partial<Record<string, string>>

export interface View {
  readonly params: Params
  /** Sets (or with undefined removes) URL parameters; the URL is the view. */
  readonly set: (params: Readonly<Record<string, string | undefined>>) => void
  readonly filters: () => Filters
  readonly engagement: Report<EngagementReport>
  readonly engagementBefore: Report<EngagementReport>
  readonly revenue: Report<RevenueReport>
  readonly revenueBefore: Report<RevenueReport>
}

/**
 * Whether the cards' reports (engagement and revenue) have answered. The other panels ask only then: on
 * a first load their dozen requests would otherwise run in the warehouse beside the cards' and hold
 * them back. One dashboard per page, so one flag.
 */
const [cardsAnswered, setCardsAnswered] = createSignal(false)

/** Whether the cards' reports have answered: the sections below the cards are mounted only then. */
export const cardsHaveAnswered = cardsAnswered

/** The parameters of a report that waits for the cards: undefined (nothing asked) until they answered. */
export const afterCards =
  <P>(params: () => P | undefined) =>
  (): P | undefined =>
    cardsAnswered() ? params() : undefined

type Range = { readonly from: string; readonly to: string }
const rangeQuery = (range: Range | undefined) => (range === undefined ? {} : { from: range.from, to: range.to })

export const createView = (): View => {
  const [params, setParams] = useSearchParams<Record<string, string>>()
  const filters = () => filtersOf({ ...params })

  const engagement = createReport(
    () => ({ range: filters().range, device: filters().device }),
    ({ range, device }) => request((c) => c.reports.engagement({ query: { ...rangeQuery(range), device } }))
  )
  // The period before: known from the URL's range at once, else from the range the report answered for.
  const engagementBefore = createReport(
    () => {
      const range = filters().range ?? okValue(engagement)?.range
      return range === undefined ? undefined : { range: previousRange(range), device: filters().device }
    },
    ({ range, device }) => request((c) => c.reports.engagement({ query: { ...rangeQuery(range), device } }))
  )
  const revenue = createReport(
    () => ({ range: filters().range, device: filters().device }),
    ({ range, device }) => request((c) => c.reports.revenue({ query: { ...rangeQuery(range), device } }))
  )
  const revenueBefore = createReport(
    () => {
      const range = filters().range ?? okValue(revenue)?.range
      return range === undefined ? undefined : { range: previousRange(range), device: filters().device }
    },
    ({ range, device }) => request((c) => c.reports.revenue({ query: { ...rangeQuery(range), device } }))
  )

  setCardsAnswered(false)
  createEffect(() => {
    if (engagement.outcome() !== undefined && revenue.outcome() !== undefined) setCardsAnswered(true)
  })

  return {
    params,
    set: (next) => setParams(next),
    filters,
    engagement,
    engagementBefore,
    revenue,
    revenueBefore
  }
}

export { rangeQuery }
