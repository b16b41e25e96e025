/**
 * `pnpm bench [section …] [--scale=F] [--data-dir=DIR]`: runs the benchmark sections one after another
 * (never in parallel: they share two cores), prints a table and writes `bench/results/latest.json`:
 * every section's last run with its time, so `pnpm bench ingest` refreshes ingest and keeps the rest.
 * `--scale` multiplies each section's event counts (e.g. 0.2 for a quick look); `--data-dir` points
 * the sections that can use one (dashboard) at an existing data directory.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { cpus, totalmem } from "node:os"
import { type BenchRow, type BenchSection, formatTable } from "./Bench.ts"
import { brokerBench } from "./broker.ts"
import { dashboardBench } from "./dashboard.ts"
import { ingestBench } from "./ingest.ts"
import { lakeBench } from "./lake.ts"
import { modelsBench } from "./models.ts"
import { steadyBench } from "./steady.ts"
import { streamBench } from "./stream.ts"
import { streamCoreSection } from "./streamCore.ts"

const sections: ReadonlyArray<BenchSection> = [
  brokerBench,
  ingestBench,
  streamCoreSection,
  lakeBench,
  streamBench,
  steadyBench,
  modelsBench,
  dashboardBench
]

const args = process.argv.slice(2)
const scaleArg = args.find((a) => a.startsWith("--scale="))
const scale = scaleArg === undefined ? 1 : Number(scaleArg.slice("--scale=".length))
const dataDirArg = args.find((a) => a.startsWith("--data-dir="))
const dataDir = dataDirArg?.slice("--data-dir=".length)
const wanted = args.filter((a) => !a.startsWith("--"))
const chosen = wanted.length === 0 ? sections : sections.filter((s) => wanted.includes(s.name))

/** Each section's last run, as `bench/results/latest.json` keeps it. */
interface SectionRun {
  readonly at: string
  readonly setup: string
  readonly scale: number
  readonly dataDir?: string
  readonly rows: ReadonlyArray<BenchRow>
}

const outDir = new URL("./results/", import.meta.url)
const latest = new URL("latest.json", outDir)

/** The sections of the previous runs: `pnpm bench ingest` replaces ingest's rows and keeps the others. */
const previous = (): Record<string, SectionRun> => {
  if (!existsSync(latest)) return {}
  const json: unknown = JSON.parse(readFileSync(latest, "utf8"))
  if (typeof json !== "object" || json === null || !("sections" in json)) return {}
  return json.sections as Record<string, SectionRun>
}

const runs: Record<string, SectionRun> = previous()
for (const section of chosen) {
  console.error(`bench: ${section.name} (${section.setup}, scale ${scale})`)
  const at = new Date().toISOString()
  const rows = await section.run(dataDir === undefined ? { scale } : { scale, dataDir })
  runs[section.name] = { at, setup: section.setup, scale, ...(dataDir === undefined ? {} : { dataDir }), rows }
}

console.log(formatTable(chosen.flatMap((section) => runs[section.name]?.rows ?? [])))
mkdirSync(outDir, { recursive: true })
const ordered = Object.fromEntries(
  sections.flatMap((section) => {
    const run = runs[section.name]
    return run === undefined ? [] : [[section.name, run] as const]
  })
)
writeFileSync(
  latest,
  `${JSON.stringify(
    {
      node: process.version,
      machine: { cpus: cpus().length, memoryBytes: totalmem() },
      sections: ordered,
      rows: Object.values(ordered).flatMap((run) => run.rows)
    },
    null,
    2
  )}\n`
)
