/**
 * The live panel, over the SSE feed: events and users per minute, the live configurator funnel,
 * ingest-to-processing latency p50/p95, and the anomaly alerts (GET /api/v1/alerts). A minute the
 * watermark has not closed is provisional: marked, and replaced in place when the feed sends it again.
 */
import { createEffect, createSignal, For, on, onCleanup, Show } from "solid-js"
import type { AlertsReport } from "../../../models/api/Alerts.ts"
import type { Funnel, KpiMinute } from "../../../models/api/Kpis.ts"
import { request } from "../api/client.ts"
import { followLive, type LiveStatus } from "../api/live.ts"
import { createReport } from "../api/report.ts"
import { tokenVersion } from "../api/token.ts"
import { LIVE_MINUTES, liveWindow, newest, newestWithLatency, withMinute } from "../model/live.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable, Table } from "../ui/DataTable.tsx"
import { formatDayMinute, formatDecimal, formatInt, formatMinute, formatMs, formatPercent } from "../ui/format.ts"
import { Panel } from "../ui/Panel.tsx"
import { PALETTE } from "../ui/palette.ts"
import { afterCards } from "../view.ts"

/** Between refreshes of the funnel and the alerts while updates stream in. */
const REFRESH_MS = 3_000
const ALERT_MINUTES = 60

const STATUS_TEXT: Readonly<Record<LiveStatus, string>> = {
  connecting: "connecting…",
  live: "live",
  reconnecting: "reconnecting…",
  unauthorized: "waiting for the API token"
}

const measureText = (measure: string) => (measure === "events" ? "events per minute" : "distinct users per minute")

/** Calls `run` at most once per `ms`, the last call always honoured. */
const throttle = (run: () => void, ms: number) => {
  let timer: ReturnType<typeof setTimeout> | undefined
  let last = 0
  onCleanup(() => clearTimeout(timer))
  return () => {
    if (timer !== undefined) return
    const wait = Math.max(0, last + ms - Date.now())
    timer = setTimeout(() => {
      timer = undefined
      last = Date.now()
      run()
    }, wait)
  }
}

/** The anomalies of the last hour, or that there are none and what would be one. */
const Alerts = (props: { readonly report: AlertsReport }) => (
  <section
    class="panel card alerts-panel"
    aria-labelledby="alerts-title"
    data-testid="alerts"
    data-count={props.report.alerts.length}
  >
    <div class="panel-head">
      <h3 id="alerts-title">
        {props.report.alerts.length === 0
          ? "No anomaly in the last hour"
          : props.report.alerts.length === 1
            ? "1 anomaly in the last hour"
            : `${props.report.alerts.length} anomalies in the last hour`}
      </h3>
    </div>
    <div role={props.report.alerts.length > 0 ? "alert" : undefined}>
      <Show when={props.report.alerts.length > 0}>
        <ul>
          <For each={props.report.alerts}>
            {(alert) => (
              <li data-minute={alert.minute} data-measure={alert.measure}>
                <strong>{formatDayMinute(alert.minute)} UTC</strong>: {formatInt(alert.value)}{" "}
                {measureText(alert.measure)}, against {formatDecimal(alert.mean)} ± {formatDecimal(alert.stddev)} over
                the {alert.baseline_minutes} minutes before (z = {formatDecimal(alert.z)}).
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
    <p class="panel-description">An alert is {props.report.rule}.</p>
  </section>
)

export const Live = () => {
  const [minutes, setMinutes] = createSignal<ReadonlyArray<KpiMinute>>([])
  const [status, setStatus] = createSignal<LiveStatus>("connecting")
  const [updates, setUpdates] = createSignal(0)

  const apply = (minute: KpiMinute) => {
    setMinutes((current) => withMinute(current, minute))
    setUpdates((n) => n + 1)
  }

  const initial = createReport(
    afterCards(() => ({})),
    () => request((c) => c.kpis.range({ query: { minutes_back: LIVE_MINUTES } }))
  )
  createEffect(() => {
    const outcome = initial.outcome()
    if (outcome?.kind !== "ok") return
    for (const minute of outcome.value.minutes) setMinutes((current) => withMinute(current, minute))
  })

  // The feed, (re)started when the token changes.
  createEffect(
    on(tokenVersion, () => {
      const stop = followLive(apply, setStatus)
      onCleanup(stop)
    })
  )

  const [refreshes, setRefreshes] = createSignal(0)
  const refresh = throttle(() => setRefreshes((n) => n + 1), REFRESH_MS)
  createEffect(on(updates, () => refresh(), { defer: true }))

  const funnel = createReport(
    afterCards(() => ({ tick: refreshes() })),
    () => request((c) => c.kpis.funnel({ query: { minutes_back: ALERT_MINUTES } }))
  )
  const alerts = createReport(
    afterCards(() => ({ tick: refreshes() })),
    () => request((c) => c.alerts.alerts({ query: { minutes_back: ALERT_MINUTES } }))
  )
  const alertsReady = () => {
    const outcome = alerts.outcome()
    return outcome?.kind === "ok" ? outcome.value : undefined
  }

  // The window follows the clock (and every update), so an idle minute scrolls out.
  const [now, setNow] = createSignal(Date.now())
  const clock = setInterval(() => setNow(Date.now()), 15_000)
  onCleanup(() => clearInterval(clock))
  createEffect(on(updates, () => setNow(Date.now()), { defer: true }))
  const span = () => liveWindow(minutes(), now())
  const shown = () => span().flatMap((m) => (m.row === undefined ? [] : [m.row]))
  const latest = () => newest(shown())
  const latency = () => newestWithLatency(shown())
  const lastSeen = () => newest(minutes())

  return (
    <section id="live" class="dash-section" aria-labelledby="live-title">
      <h2 id="live-title">
        Live{" "}
        <span class="live-status" data-status={status()} data-testid="live-status">
          {STATUS_TEXT[status()]}
        </span>
      </h2>
      <div class="live-tiles">
        <div class="tile" data-testid="live-events" data-value={latest()?.events ?? ""}>
          <span class="tile-label">Events, newest minute</span>
          <span class="tile-value">{formatInt(latest()?.events)}</span>
          <span class="hint">
            {(() => {
              const minute = latest()
              if (minute !== undefined)
                return `${formatMinute(minute.minute)} UTC, ${minute.closed ? "final" : "provisional"}`
              const seen = lastSeen()
              return seen === undefined
                ? "no events yet"
                : `none in the last ${LIVE_MINUTES} minutes; last at ${formatDayMinute(seen.minute)} UTC`
            })()}
          </span>
        </div>
        <div class="tile" data-testid="live-users" data-value={latest()?.distinct_users ?? ""}>
          <span class="tile-label">Active users, newest minute</span>
          <span class="tile-value">{formatInt(latest()?.distinct_users)}</span>
          <span class="hint">distinct users with an event</span>
        </div>
        <div class="tile" data-testid="live-latency">
          <span class="tile-label">Latency p50 / p95</span>
          <span class="tile-value">
            {formatMs(latency()?.latency.p50_ms)} <span class="tile-slash">/</span>{" "}
            {formatMs(latency()?.latency.p95_ms)}
          </span>
          <span class="hint">ingest to processing, newest minute (bucket upper bounds)</span>
        </div>
      </div>
      <div class="panel-grid">
        <section class="panel card wide" aria-labelledby="live-minutes-title" data-testid="live-minutes">
          <div class="panel-head">
            <h3 id="live-minutes-title">Events and users per minute</h3>
          </div>
          <Show
            when={shown().length > 0}
            fallback={
              <p class="panel-state empty">
                {lastSeen() === undefined
                  ? "No data yet — run `pnpm dev` or send events."
                  : `No events in the last ${LIVE_MINUTES} minutes.`}
              </p>
            }
          >
            <p class="panel-description">
              The last {LIVE_MINUTES} minutes (UTC). Lighter bars are provisional: the watermark has not closed the
              minute, so its numbers still change.
            </p>
            <Chart
              label="Events and distinct users per minute; provisional minutes lighter"
              height={240}
              option={{
                legend: { top: 0 },
                tooltip: { trigger: "axis" },
                grid: { left: 44, right: 44, top: 32, bottom: 28 },
                xAxis: { type: "category", data: span().map((m) => formatMinute(m.minute)) },
                yAxis: [
                  { type: "value", name: "events" },
                  { type: "value", name: "users", splitLine: { show: false } }
                ],
                series: [
                  {
                    type: "bar",
                    name: "events",
                    data: span().map((m) => ({
                      value: m.row?.events ?? 0,
                      itemStyle: { color: m.row?.closed === false ? PALETTE.provisional : PALETTE.brand }
                    }))
                  },
                  {
                    type: "line",
                    name: "users",
                    yAxisIndex: 1,
                    data: span().map((m) => m.row?.distinct_users ?? 0),
                    color: PALETTE.series[1]
                  }
                ]
              }}
            />
            <DataTable
              caption="Minutes of the live feed"
              testId="live-table"
              rows={[...shown()].reverse()}
              rowClass={(m) => (m.closed ? undefined : "provisional-row")}
              columns={[
                { header: "Minute (UTC)", cell: (m) => formatMinute(m.minute) },
                { header: "Events", cell: (m) => formatInt(m.events), numeric: true },
                { header: "Users", cell: (m) => formatInt(m.distinct_users), numeric: true },
                { header: "Sessions started", cell: (m) => formatInt(m.sessions_started), numeric: true },
                { header: "p50", cell: (m) => formatMs(m.latency.p50_ms), numeric: true },
                { header: "p95", cell: (m) => formatMs(m.latency.p95_ms), numeric: true },
                {
                  header: "State",
                  cell: (m) => (m.closed ? "final" : <span class="provisional">provisional</span>)
                }
              ]}
            />
          </Show>
        </section>
        <Panel
          title="Live configurator funnel, last hour"
          report={funnel}
          isEmpty={(f: Funnel) => f.starts === 0}
          testId="live-funnel"
        >
          {(f) => (
            <>
              <p class="panel-description" data-testid="live-funnel-summary">
                {formatInt(f().starts)} users started, {formatInt(f().completions)} completed (
                {formatPercent(f().conversion_rate)}).
              </p>
              <Table
                caption="Live configurator funnel"
                rows={f().steps}
                columns={[
                  { header: "Step", cell: (s) => s.step },
                  { header: "Count", cell: (s) => formatInt(s.count), numeric: true },
                  { header: "Of previous", cell: (s) => formatPercent(s.rate_from_previous), numeric: true },
                  { header: "Of start", cell: (s) => formatPercent(s.rate_from_start), numeric: true }
                ]}
              />
            </>
          )}
        </Panel>
        <Show
          when={alertsReady()}
          fallback={
            <Panel title="Anomaly alerts" report={alerts}>
              {() => null}
            </Panel>
          }
        >
          {(report) => <Alerts report={report()} />}
        </Show>
      </div>
    </section>
  )
}
