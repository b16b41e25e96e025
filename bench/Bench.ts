/** The shape every `pnpm bench` section returns, and the table/JSON writers the harness uses. */
export interface BenchRow {
  readonly section: string
  readonly measure: string
  readonly value: number
  readonly unit: string
  /** The goal the issue sets, as text (e.g. "≥ 100000"), and whether the measured value meets it. */
  readonly goal?: string
  readonly ok?: boolean
}

export interface BenchSection {
  readonly name: string
  /** What was run, e.g. "1M events of ~400 B, batches of 500". */
  readonly setup: string
  /** `dataDir`: an existing data directory to measure instead of the section's own data (`--data-dir`). */
  readonly run: (options: { readonly scale: number; readonly dataDir?: string }) => Promise<ReadonlyArray<BenchRow>>
}

const fmt = (n: number): string =>
  Number.isInteger(n) ? n.toLocaleString("en-US") : n.toLocaleString("en-US", { maximumFractionDigits: 2 })

export const formatTable = (rows: ReadonlyArray<BenchRow>): string => {
  const cells = rows.map((r) => [
    r.section,
    r.measure,
    `${fmt(r.value)} ${r.unit}`,
    r.goal ?? "",
    r.ok === undefined ? "" : r.ok ? "ok" : "MISSED"
  ])
  const header = ["section", "measure", "result", "goal", ""]
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)))
  const line = (c: ReadonlyArray<string>) => c.map((x, i) => x.padEnd(widths[i] ?? 0)).join("  ")
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...cells.map(line)].join("\n")
}
