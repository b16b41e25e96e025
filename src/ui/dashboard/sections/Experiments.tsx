/**
 * Experiments: per experiment, metric and variant the conversion rate, the lift against control with
 * its 95 % interval, the p-value and the chance to beat control; the sample-ratio check in words; no
 * verdict below the minimum exposures.
 */
import { For, Show } from "solid-js"
import { REPORT_MARTS } from "../../../models/api/ReportMarts.ts"
import type { ExperimentsReport } from "../../../models/api/Reports.ts"
import { request } from "../api/client.ts"
import { createReport } from "../api/report.ts"
import {
  type ExperimentRow,
  enoughExposures,
  MINIMUM_TEXT,
  metricsOf,
  sampleRatioOf,
  verdictOf
} from "../model/experiments.ts"
import { Chart } from "../ui/Chart.tsx"
import { Table } from "../ui/DataTable.tsx"
import { formatInt, formatP, formatPercent, formatPoints } from "../ui/format.ts"
import { Panel } from "../ui/Panel.tsx"
import { afterCards, type View } from "../view.ts"

const interval = (low: number | null, high: number | null, format: (v: number) => string) =>
  low === null || high === null ? "" : ` (${format(low)} to ${format(high)})`

const relative = (v: number) => `${v >= 0 ? "+" : "−"}${Math.abs(v * 100).toFixed(1)} %`

const MetricTable = (props: { readonly metric: string; readonly rows: ReadonlyArray<ExperimentRow> }) => {
  const verdicts = () => enoughExposures(props.rows)
  return (
    <div class="experiment-metric" data-metric={props.metric}>
      <h4>{props.metric.replaceAll("_", " ")}</h4>
      <Table
        caption={`${props.metric}: results per variant`}
        rows={props.rows}
        testId={`experiment-${props.metric}`}
        columns={[
          { header: "Variant", cell: (r) => r.variant },
          { header: "Exposed", cell: (r) => formatInt(r.exposures), numeric: true },
          { header: "Converted", cell: (r) => formatInt(r.conversions), numeric: true },
          { header: "Rate", cell: (r) => formatPercent(r.conversion_rate), numeric: true },
          {
            header: "Lift (95 % CI)",
            cell: (r) =>
              r.is_control || r.absolute_lift === null
                ? "—"
                : `${formatPoints(r.absolute_lift)}${interval(r.absolute_lift_ci_low, r.absolute_lift_ci_high, formatPoints)}`,
            numeric: true
          },
          {
            header: "Relative",
            cell: (r) =>
              r.is_control || r.relative_lift === null
                ? "—"
                : `${relative(r.relative_lift)}${interval(r.relative_lift_ci_low, r.relative_lift_ci_high, relative)}`,
            numeric: true
          },
          { header: "p-value", cell: (r) => (r.is_control ? "—" : formatP(r.p_value)), numeric: true },
          {
            header: "Chance to beat control",
            cell: (r) => (r.is_control ? "—" : formatPercent(r.chance_to_beat_control)),
            numeric: true
          },
          { header: "Verdict", cell: (r) => (verdicts() ? verdictOf(r) : "not enough data") }
        ]}
      />
    </div>
  )
}

export const Experiments = (props: { readonly view: View }) => {
  const report = createReport(
    afterCards(() => ({})),
    () => request((c) => c.reports.experiments({ query: {} }))
  )
  return (
    <section id="experiments" class="dash-section" aria-labelledby="experiments-title">
      <h2 id="experiments-title">Experiments</h2>
      <Panel
        title="Experiment results"
        report={report}
        isEmpty={(r: ExperimentsReport) => r.experiments.length === 0}
        emptyText="No experiment has exposures yet."
        exports={REPORT_MARTS.experiments}
        testId="experiments"
        wide
      >
        {(value) => {
          const chosen = () => {
            const wanted = props.view.params.experiment
            return wanted !== undefined && value().experiments.includes(wanted)
              ? wanted
              : (value().experiments[0] ?? "")
          }
          const rows = () => value().rows.filter((r) => r.experiment_key === chosen())
          const metrics = () => metricsOf(value().rows, chosen())
          const ratio = () => sampleRatioOf(rows())
          return (
            <>
              <div class="panel-controls">
                <div class="field">
                  <label for="experiment-key">Experiment</label>
                  <select
                    id="experiment-key"
                    value={chosen()}
                    onChange={(event) => props.view.set({ experiment: event.currentTarget.value })}
                  >
                    <For each={value().experiments}>{(key) => <option value={key}>{key}</option>}</For>
                  </select>
                </div>
              </div>
              <p
                class="srm"
                classList={{ warning: ratio().state === "mismatch" }}
                role={ratio().state === "mismatch" ? "alert" : undefined}
                data-testid="srm"
                data-state={ratio().state}
              >
                {ratio().text}
              </p>
              <Show when={!enoughExposures(rows())}>
                <p class="guard" data-testid="minimum-exposure">
                  {MINIMUM_TEXT}
                </p>
              </Show>
              <Chart
                label={`${chosen()}: conversion rate per variant and metric`}
                height={220}
                option={{
                  legend: { top: 0 },
                  tooltip: { trigger: "axis", valueFormatter: (v) => formatPercent(typeof v === "number" ? v : null) },
                  grid: { left: 48, right: 12, top: 32, bottom: 28 },
                  xAxis: { type: "category", data: metrics().map((m) => m.metric.replaceAll("_", " ")) },
                  yAxis: { type: "value", axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` } },
                  series: (metrics()[0]?.rows ?? []).map((variant) => ({
                    type: "bar" as const,
                    name: variant.variant,
                    data: metrics().map(
                      (m) => m.rows.find((r) => r.variant === variant.variant)?.conversion_rate ?? null
                    )
                  }))
                }}
              />
              <For each={metrics()}>{(metric) => <MetricTable metric={metric.metric} rows={metric.rows} />}</For>
              <p class="hint">
                Lift is the difference of conversion rates (percentage points) with its 95 % interval; the chance to
                beat control is the probability that the variant's true rate is higher, from Beta posteriors of each
                variant's conversions with a uniform Beta(1, 1) prior.
              </p>
            </>
          )
        }}
      </Panel>
    </section>
  )
}
