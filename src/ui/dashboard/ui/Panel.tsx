/**
 * A panel of the dashboard: a heading, its controls, and its report in one of five states — loading,
 * waiting for the API token, no data yet, an error with a retry, or the content. The previous content
 * stays while a new answer loads. `data-state` says which state it is in (for tests and styles).
 */
import { type Accessor, createUniqueId, type JSX, Match, Show, Switch } from "solid-js"
import { NO_DATA, type Outcome } from "../api/client.ts"
import type { Report } from "../api/report.ts"
import { ExportButtons } from "./ExportButtons.tsx"

/** A report's error in words and a retry button; the panels' and the KPI cards' error state. */
export const ErrorWithRetry = <A,>(props: { readonly report: Report<A>; readonly class: string }) => (
  <div class={props.class} role="alert" data-state="error">
    <p>
      {(() => {
        const current = props.report.outcome()
        return current?.kind === "error" ? current.message : ""
      })()}
    </p>
    <button type="button" class="button small" onClick={() => props.report.retry()}>
      Retry
    </button>
  </div>
)

export type PanelState = "loading" | "unauthorized" | "empty" | "error" | "ready"

const stateOf = <A,>(outcome: Outcome<A> | undefined, isEmpty: (value: A) => boolean): PanelState => {
  if (outcome === undefined) return "loading"
  switch (outcome.kind) {
    case "ok":
      return isEmpty(outcome.value) ? "empty" : "ready"
    case "empty":
      return "empty"
    case "unauthorized":
      return "unauthorized"
    case "error":
      return "error"
  }
}

export const Panel = <A,>(props: {
  readonly title: string
  readonly report: Report<A>
  /** The content, given the report's value (an accessor: it changes in place when a new answer comes). */
  readonly children: (value: Accessor<A>) => JSX.Element
  readonly isEmpty?: (value: A) => boolean
  /** What "no data" means here, when it is more than no data at all. */
  readonly emptyText?: string
  readonly description?: JSX.Element
  readonly controls?: JSX.Element
  readonly exports?: ReadonlyArray<string>
  readonly testId?: string
  readonly wide?: boolean
}) => {
  const heading = createUniqueId()
  const outcome = () => props.report.outcome()
  const state = () => stateOf(outcome(), props.isEmpty ?? (() => false))
  const value = (): A | undefined => {
    const current = outcome()
    return current?.kind === "ok" ? current.value : undefined
  }
  return (
    <section
      class="panel card"
      classList={{ wide: props.wide === true }}
      aria-labelledby={heading}
      aria-busy={props.report.loading()}
      data-state={state()}
      data-testid={props.testId}
    >
      <div class="panel-head">
        <h3 id={heading}>{props.title}</h3>
        <Show when={props.report.loading() && state() !== "loading"}>
          <span class="refreshing">updating…</span>
        </Show>
      </div>
      <Show when={props.description !== undefined}>
        <p class="panel-description">{props.description}</p>
      </Show>
      <Show when={props.controls !== undefined}>
        <div class="panel-controls">{props.controls}</div>
      </Show>
      <Switch>
        <Match when={state() === "loading"}>
          <p class="panel-state loading">Loading…</p>
        </Match>
        <Match when={state() === "unauthorized"}>
          <p class="panel-state">Waiting for the API token (asked for at the top of the page).</p>
        </Match>
        <Match when={state() === "empty"}>
          <p class="panel-state empty">
            {(() => {
              const current = outcome()
              return current?.kind === "empty" ? current.message : (props.emptyText ?? NO_DATA)
            })()}
          </p>
        </Match>
        <Match when={state() === "error"}>
          <ErrorWithRetry class="panel-state error" report={props.report} />
        </Match>
        <Match when={value()}>{(current) => props.children(current)}</Match>
      </Switch>
      <Show when={props.exports !== undefined && state() !== "unauthorized"}>
        <ExportButtons marts={props.exports ?? []} />
      </Show>
    </section>
  )
}
