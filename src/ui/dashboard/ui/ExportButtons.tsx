/**
 * CSV and Parquet downloads of a report's marts (`GET /api/v1/export/<mart>.<format>`), through the
 * typed client so that the session's token goes with them: the body is streamed into a Blob, then saved.
 */
import { Effect, Stream } from "effect"
import { createSignal, For } from "solid-js"
import { EXPORT_FORMATS } from "../../../models/api/Reports.ts"
import { classify, warehouseClient } from "../api/client.ts"
import { currentToken, refused } from "../api/token.ts"

const save = (bytes: ReadonlyArray<Uint8Array>, fileName: string, type: string) => {
  const url = URL.createObjectURL(new Blob([...bytes] as Array<BlobPart>, { type }))
  const link = document.createElement("a")
  link.href = url
  link.download = fileName
  link.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

export const ExportButtons = (props: { readonly marts: ReadonlyArray<string> }) => {
  const [status, setStatus] = createSignal("")
  const download = async (file: string) => {
    setStatus(`Preparing ${file}…`)
    const sent = currentToken()
    const client = await warehouseClient()
    const result = await Effect.runPromise(
      client.export.mart({ params: { file } }).pipe(
        Effect.flatMap((body) => Stream.runCollect(body)),
        Effect.map((chunks) => ({ ok: true as const, chunks })),
        Effect.catch((error: unknown) => Effect.succeed({ ok: false as const, outcome: classify(error) }))
      )
    )
    if (result.ok) {
      save(result.chunks, file, file.endsWith(".csv") ? "text/csv" : "application/vnd.apache.parquet")
      setStatus(`Downloaded ${file}.`)
      return
    }
    if (result.outcome.kind === "unauthorized") refused(sent)
    setStatus(
      result.outcome.kind === "empty" || result.outcome.kind === "error"
        ? `${file}: ${result.outcome.message}`
        : `${file}: the API token is needed.`
    )
  }
  return (
    <div class="exports">
      <span class="exports-label">Export</span>
      <For each={props.marts}>
        {(mart) => (
          <For each={EXPORT_FORMATS}>
            {(format) => (
              // The name read out contains the visible text ("Download fct_funnel CSV"), as WCAG 2.5.3 asks.
              <button type="button" class="button small" onClick={() => void download(`${mart}.${format}`)}>
                <span class="visually-hidden">{props.marts.length > 1 ? "Download " : `Download ${mart} `}</span>
                {props.marts.length > 1 ? `${mart} ` : ""}
                {format === "csv" ? "CSV" : "Parquet"}
              </button>
            )}
          </For>
        )}
      </For>
      <span class="hint" role="status">
        {status()}
      </span>
    </div>
  )
}
