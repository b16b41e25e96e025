/**
 * Trends: any engagement KPI per day, week or month over the range, against the same KPI over the
 * period before (bucket by bucket), from the engagement report.
 */
import { For } from "solid-js"
import { REPORT_MARTS } from "../../../models/api/ReportMarts.ts"
import type { EngagementReport } from "../../../models/api/Reports.ts"
import { okValue } from "../api/report.ts"
import { ENGAGEMENT_KPIS } from "../model/kpis.ts"
import { GRAINS, grainOf } from "../model/query.ts"
import { alignPeriods, seriesOf } from "../model/trends.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable } from "../ui/DataTable.tsx"
import { Panel } from "../ui/Panel.tsx"
import { PALETTE } from "../ui/palette.ts"
import type { View } from "../view.ts"

export const Trends = (props: { readonly view: View }) => {
  const kpi = () => ENGAGEMENT_KPIS.find((k) => k.key === props.view.params.kpi) ?? ENGAGEMENT_KPIS[0]
  const grain = () => grainOf(props.view.params)
  return (
    <section id="trends" class="dash-section" aria-labelledby="trends-title">
      <h2 id="trends-title">Trends</h2>
      <Panel
        title="A KPI over time, against the period before"
        report={props.view.engagement}
        isEmpty={(r: EngagementReport) => r.days.length === 0}
        exports={REPORT_MARTS.engagement}
        testId="trends"
        wide
        controls={
          <>
            <div class="field">
              <label for="trend-kpi">KPI</label>
              <select
                id="trend-kpi"
                value={kpi()?.key}
                onChange={(event) => props.view.set({ kpi: event.currentTarget.value })}
              >
                <For each={ENGAGEMENT_KPIS}>{(k) => <option value={k.key}>{k.label}</option>}</For>
              </select>
            </div>
            <div class="field">
              <label for="trend-grain">Per</label>
              <select
                id="trend-grain"
                value={grain()}
                onChange={(event) =>
                  props.view.set({ grain: event.currentTarget.value === "day" ? undefined : event.currentTarget.value })
                }
              >
                <For each={GRAINS}>{(g) => <option value={g}>{g}</option>}</For>
              </select>
            </div>
          </>
        }
      >
        {(current) => {
          const chosen = () => kpi() ?? ENGAGEMENT_KPIS[0]
          const rows = () => {
            const k = chosen()
            if (k === undefined) return []
            const before = okValue(props.view.engagementBefore)
            const now = seriesOf(current().days, k, grain(), current().range)
            const then = before === undefined ? [] : seriesOf(before.days, k, grain(), before.range)
            return alignPeriods(now, then)
          }
          const format = (v: number | null) => chosen()?.format(v) ?? String(v)
          return (
            <>
              <p class="panel-description">
                {chosen()?.label} ({chosen()?.help}) per {grain()}, {current().range.from} – {current().range.to}; the
                dashed line is the period before, bucket by bucket.
              </p>
              <Chart
                label={`${chosen()?.label} per ${grain()}, this period and the one before`}
                height={260}
                option={{
                  legend: { top: 0 },
                  tooltip: { trigger: "axis", valueFormatter: (v) => format(typeof v === "number" ? v : null) },
                  grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
                  xAxis: { type: "category", data: rows().map((r) => r.bucket) },
                  yAxis: { type: "value", scale: true },
                  series: [
                    { type: "line", name: "this period", data: rows().map((r) => r.value), color: PALETTE.brand },
                    {
                      type: "line",
                      name: "period before",
                      data: rows().map((r) => r.previous),
                      color: PALETTE.series[1],
                      lineStyle: { type: "dashed" }
                    }
                  ]
                }}
              />
              <DataTable
                caption={`${chosen()?.label} per ${grain()}`}
                rows={rows()}
                testId="trends-table"
                columns={[
                  {
                    header: grain() === "day" ? "Day" : grain() === "week" ? "Week of" : "Month",
                    cell: (r) => r.bucket
                  },
                  { header: "This period", cell: (r) => format(r.value), numeric: true },
                  {
                    header: "Period before",
                    cell: (r) => (r.previousBucket === null ? "—" : `${format(r.previous)} (${r.previousBucket})`),
                    numeric: true
                  }
                ]}
              />
            </>
          )
        }}
      </Panel>
    </section>
  )
}
