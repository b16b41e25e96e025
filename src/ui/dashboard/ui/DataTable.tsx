/** A chart's data as a table (collapsed under its chart), or a table in its own right. */
import { For, type JSX, Show } from "solid-js"

export interface Column<Row> {
  readonly header: string
  readonly cell: (row: Row) => JSX.Element
  /** Right-aligned, tabular figures. */
  readonly numeric?: boolean
}

export const Table = <Row,>(props: {
  readonly caption: string
  readonly columns: ReadonlyArray<Column<Row>>
  readonly rows: ReadonlyArray<Row>
  readonly rowClass?: (row: Row) => string | undefined
  readonly testId?: string | undefined
}) => (
  <section class="table-scroll" aria-label={props.caption} tabindex="0">
    <table data-testid={props.testId}>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <For each={props.columns}>
            {(column) => (
              <th scope="col" classList={{ num: column.numeric === true }}>
                {column.header}
              </th>
            )}
          </For>
        </tr>
      </thead>
      <tbody>
        <For each={props.rows}>
          {(row) => (
            <tr class={props.rowClass?.(row)}>
              <For each={props.columns}>
                {(column) => <td classList={{ num: column.numeric === true }}>{column.cell(row)}</td>}
              </For>
            </tr>
          )}
        </For>
      </tbody>
    </table>
  </section>
)

/** The data behind a chart, one click away. */
export const DataTable = <Row,>(props: {
  readonly caption: string
  readonly columns: ReadonlyArray<Column<Row>>
  readonly rows: ReadonlyArray<Row>
  readonly open?: boolean
  readonly testId?: string | undefined
  readonly rowClass?: (row: Row) => string | undefined
}) => (
  <details class="data-table" open={props.open}>
    <summary>Data table</summary>
    <Show when={props.rows.length > 0} fallback={<p class="hint">No rows.</p>}>
      <Table
        caption={props.caption}
        columns={props.columns}
        rows={props.rows}
        testId={props.testId}
        {...(props.rowClass === undefined ? {} : { rowClass: props.rowClass })}
      />
    </Show>
  </details>
)
