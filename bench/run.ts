/**
 * `pnpm bench [section …] [--scale=F] [--data-dir=DIR]`: runs the benchmark sections one after another
 * (never in parallel: they share two cores), prints a table and writes `bench/results/latest.json`.
 * `--scale` multiplies each section's event counts (e.g. 0.2 for a quick look); `--data-dir` points
 * the sections that can use one (dashboard) at an existing data directory.
 */
import { mkdirSync, writeFileSync } from "node:fs"
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

const rows: Array<BenchRow> = []
const setups: Record<string, string> = {}
for (const section of chosen) {
  console.error(`bench: ${section.name} (${section.setup}, scale ${scale})`)
  setups[section.name] = section.setup
  rows.push(...(await section.run(dataDir === undefined ? { scale } : { scale, dataDir })))
}

console.log(formatTable(rows))
const outDir = new URL("./results/", import.meta.url)
mkdirSync(outDir, { recursive: true })
writeFileSync(
  new URL("latest.json", outDir),
  `${JSON.stringify(
    {
      at: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, memoryBytes: totalmem() },
      scale,
      ...(dataDir === undefined ? {} : { dataDir }),
      setups,
      rows
    },
    null,
    2
  )}\n`
)
