/**
 * The dependency rule (docs/ARCHITECTURE.md, "Layers"): imports follow the data flow. Every folder of
 * src/ has a tier; a file may import its own folder and folders of a lower tier only — never a later
 * stage, never a sibling stage (kafka and lake, ingest and stream, …). Cross-stage contracts live in
 * src/domain; shared infrastructure (src/platform, src/sql) sits just above it and imports only the
 * domain. The test reads every import specifier under src/ (static, type-only and dynamic imports).
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { assert, describe, it } from "@effect/vitest"

const SRC = path.resolve(import.meta.dirname, "../../src")

/** A folder's tier: imports may only go to a lower tier (or stay in the folder). */
const TIERS: Readonly<Record<string, number>> = {
  domain: 0,
  platform: 1,
  sql: 1,
  kafka: 2,
  lake: 2,
  ingest: 3,
  stream: 3,
  models: 4,
  sdk: 4,
  sim: 5,
  activation: 5,
  ui: 5,
  app: 6,
  "main.ts": 7
}

const sourceFiles = (dir: string): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(full)
    return /\.(ts|tsx)$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [full] : []
  })

const IMPORT = /(?:^|[^\w.])(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g

const violations = (root: string): Array<string> => {
  /** The folder of `root` a file belongs to (its first path segment, or the file itself at the top). */
  const folderOf = (file: string): string => path.relative(root, file).split(path.sep)[0] ?? ""
  const found: Array<string> = []
  for (const file of sourceFiles(root)) {
    const from = folderOf(file)
    const fromTier = TIERS[from]
    const text = fs.readFileSync(file, "utf8")
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? ""
      if (!specifier.startsWith(".")) continue
      const target = path.resolve(path.dirname(file), specifier)
      if (!target.startsWith(root)) continue
      const to = folderOf(target)
      if (to === from) continue
      const toTier = TIERS[to]
      if (fromTier === undefined || toTier === undefined) {
        found.push(`${path.relative(root, file)}: folder without a tier (${from} -> ${to})`)
      } else if (toTier >= fromTier) {
        found.push(`${path.relative(root, file)} imports src/${to} (tier ${toTier} from tier ${fromTier})`)
      }
    }
  }
  return found
}

describe("dependency rule", () => {
  it("every folder of src/ has a tier", () => {
    const folders = fs.readdirSync(SRC)
    for (const folder of folders) assert.isDefined(TIERS[folder], `src/${folder} has no tier in this test`)
  })

  it("no import runs against the data flow or sideways between stages", () => {
    assert.deepStrictEqual(violations(SRC), [])
  })

  it("the check reports upward and sideways imports, and accepts downward ones", () => {
    const root = fs.mkdtempSync(path.join(tmpdir(), "launchpad-deps-"))
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
      fs.writeFileSync(path.join(root, file), text)
    }
    try {
      write("domain/Up.ts", 'import type { S } from "../stream/S.ts"\n')
      write("kafka/Side.ts", 'export { L } from "../lake/L.ts"\n')
      write("stream/S.ts", 'import { D } from "../domain/D.ts"\nconst lazy = () => import("../kafka/K.ts")\n')
      write("lake/L.ts", "export const L = 1\n")
      assert.deepStrictEqual(violations(root).sort(), [
        "domain/Up.ts imports src/stream (tier 3 from tier 0)",
        "kafka/Side.ts imports src/lake (tier 2 from tier 2)"
      ])
    } finally {
      fs.rmSync(root, { recursive: true, force: true })
    }
  })
})
