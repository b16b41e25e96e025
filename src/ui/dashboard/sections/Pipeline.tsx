/**
 * Pipeline health: ingest rate, consumer lag, dead letters by reason (and how to replay them), late
 * events, the last model run with its per-model timings and the data tests; and the lineage graph of
 * the models (click a model, or pick it from the list: its SQL, columns, tests, rows and last run).
 */
import { createMemo, createSignal, For, onCleanup, Show } from "solid-js"
import type { ModelManifest } from "../../../models/api/ModelManifest.ts"
import type { PipelineReport } from "../../../models/api/Pipeline.ts"
import { request } from "../api/client.ts"
import { createReport } from "../api/report.ts"
import { deepestColumn, lineageOf, tallestColumn } from "../model/lineage.ts"
import { Chart } from "../ui/Chart.tsx"
import { DataTable, Table } from "../ui/DataTable.tsx"
import { formatDateTime, formatDecimal, formatInt, formatMs } from "../ui/format.ts"
import { Panel } from "../ui/Panel.tsx"
import { PALETTE } from "../ui/palette.ts"
import { afterCards, type View } from "../view.ts"

const REFRESH_MS = 10_000
/** Lineage graph: px between rows, and the least px between columns before the graph scrolls sideways. */
const ROW_GAP = 36
const COLUMN_MIN_GAP = 120

const STATUS_COLOR: Readonly<Record<string, string>> = {
  success: PALETTE.good,
  error: PALETTE.bad,
  skipped: PALETTE.provisional,
  "never run": PALETTE.provisional,
  source: PALETTE.series[1] ?? PALETTE.brand
}

const Tile = (props: {
  readonly label: string
  readonly value: string
  readonly testId: string
  readonly hint?: string
}) => (
  <div class="tile" data-testid={props.testId}>
    <span class="tile-label">{props.label}</span>
    <span class="tile-value">{props.value}</span>
    <Show when={props.hint !== undefined}>
      <span class="hint">{props.hint}</span>
    </Show>
  </div>
)

const Health = (props: { readonly report: PipelineReport }) => {
  const notes = () =>
    [props.report.ingest.note, props.report.stream.note, props.report.dead_letters.note].filter(
      (note): note is string => note !== null
    )
  const run = () => props.report.models.last_run
  const tests = () => props.report.models.last_test?.tests ?? []
  const count = (status: string) => tests().filter((t) => t.status === status).length
  return (
    <>
      <div class="live-tiles">
        <Tile
          label="Ingest rate"
          testId="pipeline-ingest-rate"
          value={
            props.report.ingest.events_per_second === null
              ? "—"
              : `${formatDecimal(props.report.ingest.events_per_second)} /s`
          }
          hint={`${formatInt(props.report.ingest.events_accepted_total)} events accepted`}
        />
        <Tile
          label="Consumer lag"
          testId="pipeline-lag"
          value={formatInt(props.report.stream.consumer_lag)}
          hint="events_raw records not processed yet"
        />
        <Tile
          label="Late events"
          testId="pipeline-late"
          value={formatInt(props.report.stream.late_events_total)}
          hint={`${formatInt(props.report.stream.late_window_events_total)} after their minute closed`}
        />
        <Tile
          label="Dead letters"
          testId="pipeline-dead-letters"
          value={formatInt(props.report.dead_letters.total)}
          hint="events refused, kept in events_deadletter"
        />
      </div>
      <For each={notes()}>{(note) => <p class="hint">Note: {note}.</p>}</For>
      <h4>Dead letters by reason</h4>
      <Show when={props.report.dead_letters.by_reason.length > 0} fallback={<p class="hint">None.</p>}>
        <Table
          caption="Dead letters by reason"
          rows={props.report.dead_letters.by_reason}
          testId="dead-letters"
          columns={[
            { header: "Stage", cell: (d) => d.stage },
            { header: "Reason", cell: (d) => <code>{d.reason}</code> },
            { header: "Events", cell: (d) => formatInt(d.events), numeric: true }
          ]}
        />
      </Show>
      <p class="hint">Replay: {props.report.dead_letters.replay}.</p>
      <h4>Last model run</h4>
      <Show when={run()} fallback={<p class="hint">No model run yet.</p>}>
        {(last) => (
          <>
            <p class="panel-description" data-testid="last-run">
              {last().run.status} at {formatDateTime(last().run.finishedAt ?? last().run.startedAt)} in{" "}
              {formatMs(last().run.durationMs)}: {last().run.succeeded} built, {last().run.failed} failed,{" "}
              {last().run.skipped} skipped.
            </p>
            <DataTable
              caption="Models of the last run"
              rows={last().results}
              columns={[
                { header: "Model", cell: (r) => r.model },
                { header: "Status", cell: (r) => r.status },
                { header: "Time", cell: (r) => formatMs(r.durationMs), numeric: true },
                { header: "Rows", cell: (r) => formatInt(r.rows), numeric: true },
                { header: "Note", cell: (r) => r.message ?? "" }
              ]}
            />
          </>
        )}
      </Show>
      <h4>Data tests</h4>
      <Show
        when={props.report.models.last_test}
        fallback={
          <p class="hint">
            No test run yet (<code>pnpm launchpad models test</code>).
          </p>
        }
      >
        {(last) => (
          <>
            <p class="panel-description" data-testid="test-summary">
              {formatDateTime(last().run.finishedAt ?? last().run.startedAt)}: {count("pass")} passed, {count("warn")}{" "}
              warned, {count("fail")} failed, {count("error")} errored.
            </p>
            <DataTable
              caption="Data tests that did not pass"
              rows={tests().filter((t) => t.status !== "pass")}
              columns={[
                { header: "Test", cell: (t) => t.testId },
                { header: "Status", cell: (t) => t.status },
                { header: "Failing rows", cell: (t) => formatInt(t.failures), numeric: true }
              ]}
            />
          </>
        )}
      </Show>
    </>
  )
}

const ModelDetail = (props: { readonly manifest: ModelManifest; readonly name: string }) => {
  const model = () => props.manifest.models.find((m) => m.name === props.name)
  const source = () => props.manifest.sources.find((s) => s.id === props.name)
  return (
    <div class="model-detail" data-testid="model-detail" data-model={props.name}>
      <Show when={model()}>
        {(m) => (
          <>
            <h4>
              {m().name}{" "}
              <span class="hint">
                {m().layer}, {m().materialized}
              </span>
            </h4>
            <p>{m().description}</p>
            <p class="panel-description" data-testid="model-last-run">
              <Show when={m().lastRun} fallback="Never built.">
                {(run) => (
                  <>
                    Last build: {run().status}, {formatInt(run().rows)} rows, {formatMs(run().durationMs)},{" "}
                    {formatDateTime(run().finishedAt)}.
                  </>
                )}
              </Show>
            </p>
            <Table
              caption={`Columns of ${m().name}`}
              rows={m().columns}
              testId="model-columns"
              columns={[
                { header: "Column", cell: (c) => <code>{c.name}</code> },
                { header: "Description", cell: (c) => c.description },
                { header: "Tests", cell: (c) => c.tests.map((t) => t.type).join(", ") }
              ]}
            />
            <Show when={m().tests.length > 0}>
              <Table
                caption={`Latest data tests of ${m().name}`}
                rows={m().tests}
                columns={[
                  { header: "Test", cell: (t) => t.testId },
                  { header: "Status", cell: (t) => t.status },
                  { header: "Failing rows", cell: (t) => formatInt(t.failures), numeric: true }
                ]}
              />
            </Show>
            <details class="sql">
              <summary>SQL ({m().file})</summary>
              <pre tabindex="0">
                <code>{m().rawSql}</code>
              </pre>
            </details>
          </>
        )}
      </Show>
      <Show when={source()}>
        {(s) => (
          <>
            <h4>
              {s().id} <span class="hint">source, {s().location}</span>
            </h4>
            <p>{s().description}</p>
            <p class="hint">Read by {s().children.join(", ")}.</p>
          </>
        )}
      </Show>
    </div>
  )
}

const Lineage = (props: { readonly view: View }) => {
  const manifest = createReport(
    afterCards(() => ({})),
    () => request((c) => c.models.manifest())
  )
  const [picked, setPicked] = createSignal<string>()
  const selected = () => picked() ?? props.view.params.model
  return (
    <Panel
      title="Model lineage"
      report={manifest}
      isEmpty={(m: ModelManifest) => m.models.length === 0}
      testId="lineage"
      wide
    >
      {(value) => {
        const graph = createMemo(() => lineageOf(value()))
        const choose = (name: string) => {
          setPicked(name)
          props.view.set({ model: name })
        }
        return (
          <>
            <p class="panel-description">
              Lake sources on the left; each model sits right of the models it reads. Green: built, red: failed, grey:
              not built. Click a model, or pick it below, to see its SQL, columns, tests and last build.
            </p>
            <Chart
              label="Lineage graph of the models, sources to marts"
              height={Math.max(320, tallestColumn(graph().nodes) * ROW_GAP + 60)}
              minWidth={(deepestColumn(graph().nodes) + 1) * COLUMN_MIN_GAP + 160}
              onClick={(click) => {
                if (click.dataType === "node") choose(click.name)
              }}
              option={{
                tooltip: { trigger: "item" },
                series: [
                  {
                    type: "graph",
                    layout: "none",
                    roam: false,
                    left: 80,
                    right: 80,
                    top: 44,
                    bottom: 16,
                    symbolSize: 12,
                    edgeSymbol: ["none", "arrow"],
                    edgeSymbolSize: 6,
                    // Labels centred above their node, odd columns half a row lower: a label is wider than
                    // the gap between columns, so neighbouring columns' labels must not share a line.
                    label: { show: true, position: "top", fontSize: 11 },
                    lineStyle: { color: "#9aa5b8", curveness: 0.08, opacity: 0.8 },
                    emphasis: { focus: "adjacency" },
                    data: graph().nodes.map((node) => ({
                      name: node.id,
                      x: node.column * 300,
                      y: node.row * ROW_GAP + (node.column % 2) * (ROW_GAP / 2),
                      itemStyle: {
                        color: STATUS_COLOR[node.status] ?? PALETTE.brand,
                        borderColor: node.id === selected() ? PALETTE.ink : "#fff",
                        borderWidth: node.id === selected() ? 3 : 1
                      }
                    })),
                    links: graph().edges.map((edge) => ({ source: edge.from, target: edge.to }))
                  }
                ]
              }}
            />
            <div class="panel-controls">
              <div class="field">
                <label for="lineage-model">Model</label>
                <select
                  id="lineage-model"
                  value={selected() ?? ""}
                  onChange={(event) => choose(event.currentTarget.value)}
                >
                  <option value="">Pick a model…</option>
                  <For each={graph().nodes}>{(node) => <option value={node.id}>{node.id}</option>}</For>
                </select>
              </div>
            </div>
            <Show when={selected()}>{(name) => <ModelDetail manifest={value()} name={name()} />}</Show>
          </>
        )
      }}
    </Panel>
  )
}

export const Pipeline = (props: { readonly view: View }) => {
  const [tick, setTick] = createSignal(0)
  const timer = setInterval(() => setTick((n) => n + 1), REFRESH_MS)
  onCleanup(() => clearInterval(timer))
  const health = createReport(
    afterCards(() => ({ tick: tick() })),
    () => request((c) => c.pipeline.pipeline())
  )
  return (
    <section id="pipeline" class="dash-section" aria-labelledby="pipeline-title">
      <h2 id="pipeline-title">Pipeline health</h2>
      <div class="panel-grid">
        <Panel title="Ingest, stream and models" report={health} testId="pipeline" wide>
          {(value) => <Health report={value()} />}
        </Panel>
        <Lineage view={props.view} />
      </div>
    </section>
  )
}
