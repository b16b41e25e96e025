/**
 * Business: revenue and average order value per currency, user segments (distribution and the changes
 * of the last model run as a Sankey), campaign attribution first touch against last touch, and the
 * search funnel.
 */
import { Show } from "solid-js"
import { ATTRIBUTION_MODELS } from "../../../domain/Metrics.ts"
import { REPORT_MARTS } from "../../../models/api/ReportMarts.ts"
import type { AttributionReport, RevenueReport, SearchReport, SegmentsReport } from "../../../models/api/Reports.ts"
import { type Outcome, request } from "../api/client.ts"
import { createReport } from "../api/report.ts"
import { compareTouches, segmentFlows } from "../model/business.ts"
import { mainCurrency } from "../model/kpis.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable, Table } from "../ui/DataTable.tsx"
import { formatCompact, formatDecimal, formatInt, formatMoney, formatPercent } from "../ui/format.ts"
import { Panel } from "../ui/Panel.tsx"
import { PALETTE } from "../ui/palette.ts"
import { afterCards, rangeQuery, type View } from "../view.ts"

const Revenue = (props: { readonly view: View }) => (
  <Panel
    title="Revenue and order value"
    report={props.view.revenue}
    isEmpty={(r: RevenueReport) => r.totals.length === 0}
    emptyText="No purchases in this range."
    exports={REPORT_MARTS.revenue}
    testId="revenue"
  >
    {(report) => {
      const currency = () => mainCurrency(report()) ?? "XXX"
      const rows = () => report().rows.filter((r) => r.currency === currency())
      return (
        <>
          <Table
            caption="Revenue per currency"
            rows={report().totals}
            testId="revenue-totals"
            columns={[
              { header: "Currency", cell: (t) => t.currency },
              { header: "Orders", cell: (t) => formatInt(t.orders), numeric: true },
              { header: "Revenue", cell: (t) => formatMoney(t.revenue, t.currency), numeric: true },
              { header: "AOV", cell: (t) => formatMoney(t.average_order_value, t.currency), numeric: true },
              { header: "Units", cell: (t) => formatInt(t.units), numeric: true }
            ]}
          />
          <Chart
            label={`Revenue and average order value per day in ${currency()}`}
            height={220}
            option={{
              legend: { top: 0 },
              tooltip: { trigger: "axis" },
              grid: { left: 8, right: 8, top: 32, bottom: 8, containLabel: true },
              xAxis: { type: "category", data: rows().map((r) => r.order_date) },
              yAxis: [
                { type: "value", name: currency(), axisLabel: { formatter: formatCompact } },
                { type: "value", splitLine: { show: false }, axisLabel: { formatter: formatCompact } }
              ],
              series: [
                { type: "bar", name: "revenue", data: rows().map((r) => r.revenue), color: PALETTE.brand },
                {
                  type: "line",
                  name: "AOV",
                  yAxisIndex: 1,
                  data: rows().map((r) => r.average_order_value),
                  color: PALETTE.series[1]
                }
              ]
            }}
          />
          <DataTable
            caption={`Revenue per day in ${currency()}`}
            rows={rows()}
            columns={[
              { header: "Day", cell: (r) => r.order_date },
              { header: "Orders", cell: (r) => formatInt(r.orders), numeric: true },
              { header: "Revenue", cell: (r) => formatMoney(r.revenue, r.currency), numeric: true },
              { header: "AOV", cell: (r) => formatMoney(r.average_order_value, r.currency), numeric: true }
            ]}
          />
        </>
      )
    }}
  </Panel>
)

const Segments = () => {
  const report = createReport(
    afterCards(() => ({})),
    () => request((c) => c.reports.segments())
  )
  return (
    <Panel
      title="User segments"
      report={report}
      isEmpty={(r: SegmentsReport) => r.segments.every((s) => s.users === 0)}
      exports={REPORT_MARTS.segments}
      testId="segments"
    >
      {(value) => {
        const flows = () => segmentFlows(value())
        return (
          <>
            <p class="panel-description">
              As of {value().as_of_date ?? "—"}: new (first seen in the last 7 days), power (active on 8 of the last 28
              days), dormant (nothing for 14 days), casual (everyone else).
            </p>
            <Chart
              label="Users per segment"
              height={180}
              option={{
                tooltip: { trigger: "axis" },
                grid: { left: 8, right: 32, top: 8, bottom: 8, containLabel: true },
                xAxis: { type: "value" },
                yAxis: { type: "category", inverse: true, data: value().segments.map((s) => s.segment) },
                series: [
                  { type: "bar", data: value().segments.map((s) => s.users), label: { show: true, position: "right" } }
                ]
              }}
            />
            <DataTable
              caption="Users per segment"
              rows={value().segments}
              testId="segments-table"
              columns={[
                { header: "Segment", cell: (s) => s.segment },
                { header: "Users", cell: (s) => formatInt(s.users), numeric: true }
              ]}
            />
            <h4>Changes in the last model run</h4>
            <Show
              when={flows().links.length > 0}
              fallback={<p class="hint">No user changed segment in the last model run.</p>}
            >
              <Chart
                label="Users moving between segments in the last model run"
                height={240}
                option={{
                  tooltip: { trigger: "item" },
                  series: [
                    {
                      type: "sankey",
                      left: 8,
                      right: 90,
                      data: flows().nodes.map((node, i) => ({
                        ...node,
                        itemStyle: { color: PALETTE.series[i % PALETTE.series.length] ?? PALETTE.brand }
                      })),
                      links: flows().links,
                      nodeWidth: 14,
                      label: { color: PALETTE.ink },
                      emphasis: { focus: "adjacency" },
                      lineStyle: { color: "source", opacity: 0.3 }
                    }
                  ]
                }}
              />
              <DataTable
                caption="Segment changes in the last model run"
                rows={value().transitions}
                columns={[
                  { header: "From", cell: (t) => t.from_segment ?? "not segmented" },
                  { header: "To", cell: (t) => t.to_segment },
                  { header: "Users", cell: (t) => formatInt(t.users), numeric: true }
                ]}
              />
            </Show>
          </>
        )
      }}
    </Panel>
  )
}

const Attribution = () => {
  const load = (model: (typeof ATTRIBUTION_MODELS)[number]) =>
    request((c) => c.reports.attribution({ query: { model } }))
  const report = createReport(
    afterCards(() => ({})),
    async (): Promise<Outcome<{ readonly first: AttributionReport; readonly last: AttributionReport }>> => {
      const [first, last] = await Promise.all([load("first_touch"), load("last_touch")])
      if (first.kind !== "ok") return first
      if (last.kind !== "ok") return last
      return { kind: "ok", value: { first: first.value, last: last.value } }
    }
  )
  return (
    <Panel
      title="Campaign attribution: first touch against last touch"
      report={report}
      isEmpty={(r) => r.first.rows.length === 0 && r.last.rows.length === 0}
      exports={REPORT_MARTS.attribution}
      testId="attribution"
    >
      {(value) => {
        const rows = () => compareTouches(value().first.rows, value().last.rows)
        const label = (r: ReturnType<typeof rows>[number]) => `${r.source} / ${r.campaign}`
        return (
          <>
            <p class="panel-description">
              Revenue credited to the campaign of a buyer's earliest touch, and of their latest.
            </p>
            <Chart
              label="Revenue by campaign, first touch and last touch"
              height={Math.max(200, rows().length * 36 + 40)}
              option={{
                legend: { top: 0 },
                tooltip: { trigger: "axis" },
                grid: { left: 8, right: 16, top: 32, bottom: 8, containLabel: true },
                xAxis: { type: "value", splitNumber: 3, axisLabel: { formatter: formatCompact } },
                // Long campaign names are cut (the table has them whole), so the bars keep room on a phone.
                yAxis: {
                  type: "category",
                  inverse: true,
                  data: rows().map(label),
                  axisLabel: { width: 120, overflow: "truncate" }
                },
                series: ATTRIBUTION_MODELS.map((model) => ({
                  type: "bar" as const,
                  name: model.replace("_", " "),
                  data: rows().map((r) => (model === "first_touch" ? r.first : r.last)?.revenue ?? 0)
                }))
              }}
            />
            <DataTable
              caption="Attribution by campaign, first and last touch"
              rows={rows()}
              testId="attribution-table"
              columns={[
                { header: "Source / campaign", cell: label },
                { header: "Users (first)", cell: (r) => formatInt(r.first?.users ?? 0), numeric: true },
                { header: "Orders (first)", cell: (r) => formatInt(r.first?.orders ?? 0), numeric: true },
                {
                  header: "Revenue (first)",
                  cell: (r) => formatMoney(r.first?.revenue ?? 0, r.currency ?? "XXX"),
                  numeric: true
                },
                { header: "Orders (last)", cell: (r) => formatInt(r.last?.orders ?? 0), numeric: true },
                {
                  header: "Revenue (last)",
                  cell: (r) => formatMoney(r.last?.revenue ?? 0, r.currency ?? "XXX"),
                  numeric: true
                }
              ]}
            />
          </>
        )
      }}
    </Panel>
  )
}

const Search = (props: { readonly view: View }) => {
  const report = createReport(
    afterCards(() => ({ range: props.view.filters().range, device: props.view.filters().device })),
    ({ range, device }) => request((c) => c.reports.search({ query: { ...rangeQuery(range), device } }))
  )
  return (
    <Panel
      title="Search funnel"
      report={report}
      isEmpty={(r: SearchReport) => r.totals.searches === 0}
      emptyText="No searches in this range."
      exports={REPORT_MARTS.search}
      testId="search"
    >
      {(value) => (
        <>
          <Chart
            label="Search funnel: searches, searches with a click, searches with a booking"
            height={200}
            option={{
              tooltip: { trigger: "item" },
              series: [
                {
                  type: "funnel",
                  left: 8,
                  top: 8,
                  bottom: 8,
                  width: "55%",
                  minSize: "20%",
                  sort: "none",
                  gap: 2,
                  label: { position: "right", formatter: "{b}: {c}", color: PALETTE.ink },
                  labelLine: { show: true },
                  data: [
                    { name: "searches", value: value().totals.searches },
                    { name: "with a click", value: value().totals.searches_with_click },
                    { name: "with a booking", value: value().totals.searches_with_booking }
                  ]
                }
              ]
            }}
          />
          <p class="panel-description">
            Click-through {formatPercent(value().totals.click_through_rate)}, booking conversion{" "}
            {formatPercent(value().totals.conversion_rate)}.
          </p>
          <DataTable
            caption="Search funnel per day"
            rows={value().days}
            columns={[
              { header: "Day", cell: (d) => d.search_date },
              { header: "Searches", cell: (d) => formatInt(d.searches), numeric: true },
              { header: "Click-through", cell: (d) => formatPercent(d.click_through_rate), numeric: true },
              { header: "Booking", cell: (d) => formatPercent(d.conversion_rate), numeric: true },
              {
                header: "Avg first click position",
                cell: (d) => formatDecimal(d.avg_first_click_position),
                numeric: true
              }
            ]}
          />
        </>
      )}
    </Panel>
  )
}

export const Business = (props: { readonly view: View }) => (
  <section id="business" class="dash-section" aria-labelledby="business-title">
    <h2 id="business-title">Business</h2>
    <div class="panel-grid">
      <Revenue view={props.view} />
      <Segments />
      <Attribution />
      <Search view={props.view} />
    </div>
  </section>
)
