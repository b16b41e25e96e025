/**
 * Retention: the cohort heatmap (share of each first-seen day's users active again on day 1, 7, 14 and
 * 30) for everyone, completers or non-completers, and the lift of completers with its intervals.
 */
import { RETENTION_DAYS, RETENTION_GROUPS } from "../../../domain/Metrics.ts"
import { REPORT_MARTS } from "../../../models/api/ReportMarts.ts"
import type { RetentionReport } from "../../../models/api/Reports.ts"
import { request } from "../api/client.ts"
import { createReport } from "../api/report.ts"
import { retentionGroupOf } from "../model/query.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable } from "../ui/DataTable.tsx"
import { formatInt, formatPercent, formatPoints } from "../ui/format.ts"
import { Panel } from "../ui/Panel.tsx"
import { PALETTE } from "../ui/palette.ts"
import { afterCards, rangeQuery, type View } from "../view.ts"

type Cell = RetentionReport["cohorts"][number]

const GROUP_TEXT: Readonly<Record<string, string>> = {
  all: "Everyone",
  completers: "Completers (completed on day 0)",
  non_completers: "Non-completers"
}

const cohortRows = (report: RetentionReport) => {
  const byCohort = new Map<string, Map<number, Cell>>()
  for (const cell of report.cohorts) {
    const row = byCohort.get(cell.cohort_date) ?? new Map<number, Cell>()
    row.set(cell.day_number, cell)
    byCohort.set(cell.cohort_date, row)
  }
  return [...byCohort.entries()]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([cohort, cells]) => ({ cohort, size: [...cells.values()][0]?.cohort_size ?? 0, cells }))
}

export const Retention = (props: { readonly view: View }) => {
  const group = () => retentionGroupOf(props.view.params)
  const report = createReport(
    afterCards(() => ({ range: props.view.filters().range, group: group() })),
    ({ range, group }) => request((c) => c.reports.retention({ query: { ...rangeQuery(range), group } }))
  )
  return (
    <section id="retention" class="dash-section" aria-labelledby="retention-title">
      <h2 id="retention-title">Retention</h2>
      <div class="panel-grid">
        <Panel
          title="Cohort retention"
          report={report}
          isEmpty={(r: RetentionReport) => r.cohorts.length === 0}
          exports={REPORT_MARTS.retention}
          testId="retention-heatmap"
          wide
          controls={
            <div class="field">
              <label for="retention-group">Users</label>
              <select
                id="retention-group"
                value={group()}
                onChange={(event) =>
                  props.view.set({ group: event.currentTarget.value === "all" ? undefined : event.currentTarget.value })
                }
              >
                {RETENTION_GROUPS.map((g) => (
                  <option value={g}>{GROUP_TEXT[g]}</option>
                ))}
              </select>
            </div>
          }
        >
          {(value) => {
            const rows = () => cohortRows(value())
            const days = RETENTION_DAYS.map((d) => `day ${d}`)
            // The colour scale spans the rates there are, so that 10 % and 30 % look different; it tops out
            // at their 95th percentile, so that a one-user cohort at 100 % does not wash out the rest.
            const top = () => {
              const rates = value()
                .cohorts.flatMap((c) => (c.day_number > 0 && c.return_rate !== null ? [c.return_rate] : []))
                .sort((a, b) => a - b)
              return Math.max(0.05, rates[Math.max(0, Math.ceil(rates.length * 0.95) - 1)] ?? 0)
            }
            return (
              <>
                <p class="panel-description">
                  Each row is the users first seen on that day ({value().range.from} – {value().range.to}); a cell is
                  the share active again N days later. Blank cells are not observable yet.
                </p>
                <Chart
                  label="Cohort retention heatmap: return rate by first-seen day and return day"
                  height={Math.min(900, 70 + rows().length * 24)}
                  option={{
                    tooltip: {
                      formatter: (p) => {
                        const item = p as { value?: unknown }
                        const v = Array.isArray(item.value) ? item.value[2] : undefined
                        return typeof v === "number" ? formatPercent(v) : "not observable"
                      }
                    },
                    grid: { left: 8, right: 8, top: 8, bottom: 40, containLabel: true },
                    xAxis: { type: "category", data: days, position: "top" },
                    yAxis: { type: "category", data: rows().map((r) => r.cohort), inverse: true },
                    visualMap: {
                      min: 0,
                      max: top(),
                      text: [`≥ ${formatPercent(top())}`, "0 %"],
                      orient: "horizontal",
                      left: "center",
                      bottom: 0,
                      itemHeight: 120,
                      calculable: false,
                      inRange: { color: ["#f3f6fc", "#9db6e3", PALETTE.brand] }
                    },
                    series: [
                      {
                        type: "heatmap",
                        data: rows().flatMap((row, y) =>
                          RETENTION_DAYS.flatMap((day, x) => {
                            const cell = row.cells.get(day)
                            return cell?.return_rate === null || cell === undefined ? [] : [[x, y, cell.return_rate]]
                          })
                        ),
                        label: {
                          show: rows().length <= 40,
                          fontSize: 10,
                          formatter: (p: { value?: unknown }) =>
                            Array.isArray(p.value) && typeof p.value[2] === "number"
                              ? `${Math.round(p.value[2] * 100)}`
                              : ""
                        }
                      }
                    ]
                  }}
                />
                <DataTable
                  caption="Cohort retention by first-seen day"
                  rows={rows()}
                  columns={[
                    { header: "Cohort", cell: (r) => r.cohort },
                    { header: "Users", cell: (r) => formatInt(r.size), numeric: true },
                    ...RETENTION_DAYS.map((day) => ({
                      header: `Day ${day}`,
                      cell: (r: ReturnType<typeof rows>[number]) => {
                        const cell = r.cells.get(day)
                        return cell?.is_observable === true ? formatPercent(cell.return_rate) : "—"
                      },
                      numeric: true
                    }))
                  ]}
                />
              </>
            )
          }}
        </Panel>
        <Panel
          title="Completer lift"
          report={report}
          isEmpty={(r: RetentionReport) => r.lift.length === 0}
          testId="retention-lift"
          wide
        >
          {(value) => (
            <>
              <p class="panel-description">
                Return rate of users who completed the configurator on their first day minus that of everyone else,
                every observable cohort pooled, with the 95 % interval.
              </p>
              <DataTable
                open
                caption="Completer lift by return day"
                rows={value().lift}
                columns={[
                  { header: "Day", cell: (r) => r.day_number, numeric: true },
                  { header: "Completers", cell: (r) => formatPercent(r.completer_rate), numeric: true },
                  { header: "Others", cell: (r) => formatPercent(r.non_completer_rate), numeric: true },
                  {
                    header: "Lift (95 % CI)",
                    cell: (r) =>
                      r.absolute_lift === null
                        ? "—"
                        : `${formatPoints(r.absolute_lift)} (${r.absolute_lift_ci_low === null ? "—" : formatPoints(r.absolute_lift_ci_low)} to ${r.absolute_lift_ci_high === null ? "—" : formatPoints(r.absolute_lift_ci_high)})`,
                    numeric: true
                  }
                ]}
              />
            </>
          )}
        </Panel>
      </div>
    </section>
  )
}
