/**
 * A report as a panel reads it: its parameters (a signal), the call, and the latest outcome. Each
 * panel owns one, so a slow report never holds up another; the previous answer stays on screen while
 * a new one loads; a new token re-runs every report.
 */
import { createResource } from "solid-js"
import type { Outcome } from "./client.ts"
import { tokenVersion } from "./token.ts"

export interface Report<A> {
  /** The latest outcome, undefined until the first answer. */
  readonly outcome: () => Outcome<A> | undefined
  /** A request is in flight (the first or a refresh). */
  readonly loading: () => boolean
  readonly retry: () => void
}

export const createReport = <P, A>(
  params: () => P | undefined,
  load: (params: P) => Promise<Outcome<A>>
): Report<A> => {
  const [resource, { refetch }] = createResource(
    () => {
      const current = params()
      return current === undefined ? undefined : { current, token: tokenVersion() }
    },
    ({ current }) => load(current)
  )
  return {
    outcome: () => resource.latest,
    loading: () => resource.loading,
    retry: () => {
      void refetch()
    }
  }
}

/** The value of an `ok` outcome, else undefined. */
export const okValue = <A>(report: Report<A>): A | undefined => {
  const outcome = report.outcome()
  return outcome?.kind === "ok" ? outcome.value : undefined
}
