/**
 * Funnels: a named funnel of fct_funnel (configurator, commerce) with its mode, window and breakdown,
 * and an ad-hoc funnel over any catalog event types, computed the same way. Users per step, conversion
 * and drop-off, median time to convert.
 */
import { createSignal, For, Show } from "solid-js"
import { catalogEntries } from "../../../domain/Catalog.ts"
import { FUNNEL_BREAKDOWNS, FUNNEL_MODES } from "../../../domain/Funnels.ts"
import { REPORT_MARTS } from "../../../models/api/ReportMarts.ts"
import { type FunnelReport, MAX_FUNNEL_WINDOW_DAYS } from "../../../models/api/Reports.ts"
import { request } from "../api/client.ts"
import { createReport } from "../api/report.ts"
import { funnelIsEmpty, seriesOfFunnel, stepLabel } from "../model/funnel.ts"
import { adHocStepsOf, DEFAULT_WINDOW_DAYS, FUNNEL_NAMES, funnelChoicesOf, MAX_ADHOC_STEPS } from "../model/query.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable } from "../ui/DataTable.tsx"
import { formatInt, formatPercent, formatSeconds } from "../ui/format.ts"
import { Panel } from "../ui/Panel.tsx"
import { afterCards, rangeQuery, type View } from "../view.ts"

const MODE_TEXT: Readonly<Record<string, string>> = {
  ordered: "in order (other events may come between)",
  strict: "strictly in a row",
  unordered: "in any order"
}
const BREAKDOWN_TEXT: Readonly<Record<string, string>> = {
  none: "no breakdown",
  device_type: "by device",
  utm_source: "by utm source"
}

/** The funnel as bars (users per step, one series per breakdown value) and its table. */
const FunnelView = (props: { readonly report: FunnelReport; readonly title: string }) => {
  const series = () => seriesOfFunnel(props.report)
  const labels = () => (series()[0]?.rows ?? []).map((row) => stepLabel(props.report, row))
  return (
    <>
      <p class="panel-description">
        {props.report.source === "mart" ? "From fct_funnel as built" : "Computed now over the events"}:{" "}
        {MODE_TEXT[props.report.mode]}, within {props.report.window_days} days of the first step
        {props.report.range === null
          ? ", every entry"
          : `, entries ${props.report.range.from} – ${props.report.range.to}`}
        .
      </p>
      <Chart
        label={`${props.title}: users per step`}
        height={Math.max(220, labels().length * 44)}
        option={{
          legend: { show: series().length > 1, top: 0 },
          tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
          grid: { left: 8, right: 40, top: series().length > 1 ? 32 : 8, bottom: 8, containLabel: true },
          xAxis: { type: "value" },
          yAxis: { type: "category", inverse: true, data: labels() },
          series: series().map((s) => ({
            type: "bar" as const,
            name: s.breakdown,
            data: s.rows.map((row) => row.users),
            label: {
              show: series().length === 1,
              position: "right" as const,
              formatter: (p: { dataIndex: number }) => formatPercent(s.rows[p.dataIndex]?.conversion_from_first)
            }
          }))
        }}
      />
      <DataTable
        caption={`${props.title} by step`}
        rows={props.report.rows}
        testId="funnel-table"
        columns={[
          ...(props.report.breakdown === "none"
            ? []
            : [{ header: "Breakdown", cell: (r: FunnelReport["rows"][number]) => r.breakdown_value }]),
          { header: "Step", cell: (r) => stepLabel(props.report, r) },
          { header: "Users", cell: (r) => formatInt(r.users), numeric: true },
          { header: "Of previous", cell: (r) => formatPercent(r.conversion_from_previous), numeric: true },
          { header: "Of first", cell: (r) => formatPercent(r.conversion_from_first), numeric: true },
          { header: "Dropped", cell: (r) => formatInt(r.drop_off_users), numeric: true },
          {
            header: "Median time from previous",
            cell: (r) => formatSeconds(r.median_seconds_from_previous),
            numeric: true
          }
        ]}
      />
    </>
  )
}

const Select = (props: {
  readonly id: string
  readonly label: string
  readonly value: string
  readonly options: ReadonlyArray<readonly [string, string]>
  readonly onChange: (value: string) => void
}) => (
  <div class="field">
    <label for={props.id}>{props.label}</label>
    <select id={props.id} value={props.value} onChange={(event) => props.onChange(event.currentTarget.value)}>
      <For each={props.options}>{([value, text]) => <option value={value}>{text}</option>}</For>
    </select>
  </div>
)

const AdHoc = (props: { readonly view: View }) => {
  const chosen = () => adHocStepsOf(props.view.params)
  const [draft, setDraft] = createSignal<ReadonlyArray<string>>(chosen() ?? [])
  const [pick, setPick] = createSignal<string>("quiz_started")
  const report = createReport(
    afterCards(() => {
      const steps = chosen()
      if (steps === undefined) return undefined
      const choices = funnelChoicesOf(props.view.params)
      return { steps, choices, range: props.view.filters().range }
    }),
    ({ steps, choices, range }) =>
      request((c) =>
        c.reports.funnel({
          query: {
            steps: steps.join(","),
            mode: choices.mode,
            breakdown: choices.breakdown,
            window_days: choices.windowDays,
            ...rangeQuery(range)
          }
        })
      )
  )
  const categories = [...new Set(catalogEntries.map((entry) => entry.category))]
  return (
    <section class="panel card wide" aria-labelledby="adhoc-title" data-testid="adhoc-funnel">
      <div class="panel-head">
        <h3 id="adhoc-title">Ad-hoc funnel</h3>
      </div>
      <p class="panel-description">
        Pick 2 to {MAX_ADHOC_STEPS} event types from the catalog, in order; it uses the mode, window and breakdown
        above.
      </p>
      <div class="panel-controls">
        <div class="field">
          <label for="adhoc-pick">Event type</label>
          <select id="adhoc-pick" value={pick()} onChange={(event) => setPick(event.currentTarget.value)}>
            <For each={categories}>
              {(category) => (
                <optgroup label={category}>
                  <For each={catalogEntries.filter((entry) => entry.category === category)}>
                    {(entry) => <option value={entry.type}>{entry.type}</option>}
                  </For>
                </optgroup>
              )}
            </For>
          </select>
        </div>
        <button
          type="button"
          class="button small"
          disabled={draft().length >= MAX_ADHOC_STEPS}
          onClick={() => setDraft([...draft(), pick()])}
        >
          Add step
        </button>
      </div>
      <ol class="adhoc-steps" aria-label="Steps of the ad-hoc funnel">
        <For each={draft()}>
          {(step, index) => (
            <li>
              <span>{step}</span>
              <button
                type="button"
                class="link-button"
                aria-label={`Remove step ${index() + 1}, ${step}`}
                onClick={() => setDraft(draft().filter((_, i) => i !== index()))}
              >
                remove
              </button>
            </li>
          )}
        </For>
      </ol>
      <div class="panel-controls">
        <button
          type="button"
          class="button small primary"
          disabled={draft().length < 2}
          onClick={() => props.view.set({ steps: draft().join(",") })}
        >
          Show funnel
        </button>
        <Show when={chosen() !== undefined}>
          <button
            type="button"
            class="button small"
            onClick={() => {
              setDraft([])
              props.view.set({ steps: undefined })
            }}
          >
            Clear
          </button>
        </Show>
      </div>
      <Show when={chosen() !== undefined}>
        <Panel
          title={`Funnel: ${(chosen() ?? []).join(" → ")}`}
          report={report}
          isEmpty={funnelIsEmpty}
          testId="adhoc-result"
        >
          {(value) => <FunnelView report={value()} title="Ad-hoc funnel" />}
        </Panel>
      </Show>
    </section>
  )
}

export const Funnels = (props: { readonly view: View }) => {
  const choices = () => funnelChoicesOf(props.view.params)
  const named = createReport(
    afterCards(() => ({ choices: choices(), range: props.view.filters().range })),
    ({ choices, range }) =>
      request((c) =>
        c.reports.funnel({
          query: {
            funnel: choices.funnel,
            mode: choices.mode,
            breakdown: choices.breakdown,
            window_days: choices.windowDays,
            ...rangeQuery(range)
          }
        })
      )
  )
  return (
    <section id="funnels" class="dash-section" aria-labelledby="funnels-title">
      <h2 id="funnels-title">Funnels</h2>
      <div class="panel-grid">
        <Panel
          title={`The ${choices().funnel} funnel`}
          report={named}
          isEmpty={funnelIsEmpty}
          exports={REPORT_MARTS.funnel}
          testId="named-funnel"
          wide
          controls={
            <>
              <Select
                id="funnel-name"
                label="Funnel"
                value={choices().funnel}
                options={FUNNEL_NAMES.map((name) => [name, name] as const)}
                onChange={(value) => props.view.set({ funnel: value === "configurator" ? undefined : value })}
              />
              <Select
                id="funnel-mode"
                label="Order"
                value={choices().mode}
                options={FUNNEL_MODES.map((mode) => [mode, mode] as const)}
                onChange={(value) => props.view.set({ mode: value === "ordered" ? undefined : value })}
              />
              <div class="field">
                <label for="funnel-window">Window (days)</label>
                <input
                  id="funnel-window"
                  type="number"
                  min="1"
                  max={MAX_FUNNEL_WINDOW_DAYS}
                  value={choices().windowDays}
                  onChange={(event) => {
                    const days = event.currentTarget.valueAsNumber
                    if (Number.isInteger(days) && days >= 1 && days <= MAX_FUNNEL_WINDOW_DAYS) {
                      props.view.set({ window: days === DEFAULT_WINDOW_DAYS ? undefined : String(days) })
                    }
                  }}
                />
              </div>
              <Select
                id="funnel-breakdown"
                label="Breakdown"
                value={choices().breakdown}
                options={FUNNEL_BREAKDOWNS.map((b) => [b, BREAKDOWN_TEXT[b] ?? b] as const)}
                onChange={(value) => props.view.set({ breakdown: value === "none" ? undefined : value })}
              />
            </>
          }
        >
          {(value) => <FunnelView report={value()} title={`The ${choices().funnel} funnel`} />}
        </Panel>
        <AdHoc view={props.view} />
      </div>
    </section>
  )
}
