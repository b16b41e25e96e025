/**
 * The launch overview, the first screen: a card per KPI (the range's value, its change against the
 * period before, its daily sparkline) and the money slide (the retention lift of completers).
 */
import { For, type JSX, Match, Show, Switch } from "solid-js"
import { REPORT_MARTS } from "../../../models/api/ReportMarts.ts"
import type { EngagementReport, RetentionReport, RevenueReport } from "../../../models/api/Reports.ts"
import { NO_DATA, request } from "../api/client.ts"
import { createReport, okValue, type Report } from "../api/report.ts"
import { CARD_KPIS, type Card, engagementCards, revenueCards } from "../model/kpis.ts"
import { moneySlideOf } from "../model/moneySlide.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable } from "../ui/DataTable.tsx"
import { formatInt, formatPercent } from "../ui/format.ts"
import { ErrorWithRetry, Panel } from "../ui/Panel.tsx"
import { PALETTE } from "../ui/palette.ts"
import { sparkline } from "../ui/sparkline.ts"
import { rangeQuery, type View } from "../view.ts"

const KpiCard = (props: { readonly card: Card }) => (
  <article class="kpi card" data-kpi={props.card.key} data-value={props.card.value ?? ""} data-state="ready">
    <h3 class="kpi-label">{props.card.label}</h3>
    <p class="kpi-value">{props.card.display}</p>
    <p class="kpi-change" data-direction={props.card.change?.direction ?? "none"}>
      <Show when={props.card.change} fallback={<span class="hint">no earlier data to compare</span>}>
        {(change) => (
          <>
            <span class="arrow" aria-hidden="true">
              {change().direction === "up" ? "▲" : change().direction === "down" ? "▼" : "■"}
            </span>
            {change().text} <span class="hint">vs {change().previous} before</span>
          </>
        )}
      </Show>
    </p>
    <Show when={props.card.series.length > 1}>
      <Chart option={sparkline(props.card.series)} label={`${props.card.label} per day`} height={44} />
    </Show>
    <p class="kpi-help">{props.card.help}</p>
  </article>
)

const Placeholder = (props: { readonly label: string; readonly kpi: string; readonly children: JSX.Element }) => (
  <article class="kpi card placeholder" data-kpi={props.kpi} data-state="loading">
    <h3 class="kpi-label">{props.label}</h3>
    <div class="kpi-value">{props.children}</div>
  </article>
)

/** One report's cards, in the report's state: placeholders while it loads, its error with a retry. */
const CardGroup = <A,>(props: {
  readonly report: Report<A>
  readonly previous: Report<A>
  readonly labels: ReadonlyArray<{ readonly key: string; readonly label: string }>
  readonly cards: (current: A, previous: A | undefined) => ReadonlyArray<Card>
}) => {
  const outcome = () => props.report.outcome()
  return (
    <Switch>
      <Match when={outcome()?.kind === "ok"}>
        <For
          each={(() => {
            const current = okValue(props.report)
            return current === undefined ? [] : props.cards(current, okValue(props.previous))
          })()}
        >
          {(card) => <KpiCard card={card} />}
        </For>
      </Match>
      <Match when={outcome()?.kind === "error"}>
        <ErrorWithRetry class="kpi card error" report={props.report} />
      </Match>
      <Match when={outcome()?.kind === "empty"}>
        <For each={props.labels}>
          {(item) => (
            <Placeholder label={item.label} kpi={item.key}>
              —
            </Placeholder>
          )}
        </For>
      </Match>
      <Match when={true}>
        <For each={props.labels}>
          {(item) => (
            <Placeholder label={item.label} kpi={item.key}>
              <span class="shimmer">…</span>
            </Placeholder>
          )}
        </For>
      </Match>
    </Switch>
  )
}

const MoneySlide = (props: { readonly view: View }) => {
  const retention = createReport(
    () => ({ range: props.view.filters().range }),
    ({ range }) => request((c) => c.reports.retention({ query: rangeQuery(range) }))
  )
  return (
    <Panel
      title="Does completing the configurator bring people back?"
      report={retention}
      isEmpty={(report: RetentionReport) => moneySlideOf(report.lift) === undefined}
      emptyText="Not enough returns yet to compare completers with everyone else: the lift needs users who came back in both groups."
      exports={REPORT_MARTS.retention}
      testId="money-slide"
      wide
    >
      {(report) => {
        const slide = () => moneySlideOf(report().lift)
        return (
          <div class="money">
            <p class="money-headline" data-ratio={slide()?.ratio ?? ""}>
              {slide()?.headline}
            </p>
            <p class="money-detail">{slide()?.detail}</p>
            <Chart
              label="Return rate of completers and non-completers on days 1, 7, 14 and 30"
              height={200}
              option={{
                legend: { top: 0 },
                tooltip: { trigger: "axis", valueFormatter: (v) => formatPercent(typeof v === "number" ? v : null) },
                grid: { left: 48, right: 12, top: 32, bottom: 28 },
                xAxis: { type: "category", data: report().lift.map((r) => `day ${r.day_number}`) },
                yAxis: { type: "value", axisLabel: { formatter: (v: number) => `${Math.round(v * 100)} %` } },
                series: [
                  {
                    type: "bar",
                    name: "completers",
                    data: report().lift.map((r) => r.completer_rate),
                    color: PALETTE.series[0]
                  },
                  {
                    type: "bar",
                    name: "non-completers",
                    data: report().lift.map((r) => r.non_completer_rate),
                    color: PALETTE.series[1]
                  }
                ]
              }}
            />
            <DataTable
              caption="Retention lift of completers by return day"
              rows={report().lift}
              columns={[
                { header: "Day", cell: (r) => r.day_number, numeric: true },
                { header: "Completers", cell: (r) => formatInt(r.completers), numeric: true },
                { header: "Returned", cell: (r) => formatPercent(r.completer_rate), numeric: true },
                { header: "Non-completers", cell: (r) => formatInt(r.non_completers), numeric: true },
                { header: "Returned", cell: (r) => formatPercent(r.non_completer_rate), numeric: true },
                {
                  header: "Ratio (95 % CI)",
                  cell: (r) =>
                    r.relative_lift === null
                      ? "—"
                      : `${(r.relative_lift + 1).toFixed(2)}× (${r.relative_lift_ci_low === null ? "—" : (r.relative_lift_ci_low + 1).toFixed(2)}–${r.relative_lift_ci_high === null ? "—" : (r.relative_lift_ci_high + 1).toFixed(2)})`,
                  numeric: true
                }
              ]}
            />
          </div>
        )
      }}
    </Panel>
  )
}

export const Overview = (props: { readonly view: View }) => (
  <section id="overview" class="dash-section" aria-labelledby="overview-title">
    <h2 id="overview-title">Launch overview</h2>
    <div class="kpi-grid" data-testid="kpi-cards">
      <CardGroup<EngagementReport>
        report={props.view.engagement}
        previous={props.view.engagementBefore}
        labels={CARD_KPIS}
        cards={engagementCards}
      />
      <CardGroup<RevenueReport>
        report={props.view.revenue}
        previous={props.view.revenueBefore}
        labels={[
          { key: "revenue", label: "Revenue" },
          { key: "aov", label: "Average order value" }
        ]}
        cards={revenueCards}
      />
    </div>
    <Show when={props.view.engagement.outcome()?.kind === "empty"}>
      <p class="hint">{NO_DATA}</p>
    </Show>
    <MoneySlide view={props.view} />
  </section>
)
