/**
 * `launchpad models run|test|docs` with no warehouse running: the command opens warehouse.duckdb in
 * the data dir itself. (Against a running warehouse, and the lock message, see allInOne.test.ts.)
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { freePort, runCli } from "./fixtures.ts"

describe("launchpad models (no warehouse running)", () => {
  let dataDir = ""
  let env: Record<string, string> = {}

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "launchpad-models-cli-"))
    // A free port nobody listens on: the command must fall back to the file.
    env = { LAUNCHPAD_DATA_DIR: dataDir, PORT: String(await freePort()) }
  })

  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it("run builds every model in the file and exits 0", async () => {
    const outcome = await runCli(["models", "run"], env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.include(outcome.stderr, `opening ${dataDir}/warehouse.duckdb`)
    assert.match(outcome.stdout, /^success\s+stg_events\b/m)
    assert.match(outcome.stdout, /^run [0-9a-f-]+: success — \d+ built, 0 failed, 0 skipped/m)
  }, 60_000)

  it("test runs the data tests on what run built, and a stale or empty source is a warning, not a failure", async () => {
    const outcome = await runCli(["models", "test"], env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    assert.match(outcome.stdout, /^pass\s+unique\.stg_events_deduplicated\.event_id$/m)
    assert.match(outcome.stdout, /^warn\s+freshness of lake\.events: the source has no rows yet$/m)
  }, 60_000)

  it("a selector that names nothing is one line on stderr and exit 1, not a stack", async () => {
    const outcome = await runCli(["models", "run", "--select", "nope"], env)
    assert.strictEqual(outcome.code, 1)
    assert.include(outcome.stderr, "launchpad models:")
    assert.include(outcome.stderr, "nope is neither a model nor a layer")
    assert.notInclude(outcome.stderr, "    at ")
  }, 60_000)

  it("docs writes the manifest, every model with its columns and dependencies", async () => {
    const file = join(dataDir, "manifest.json")
    const outcome = await runCli(["models", "docs", "--out", file], env)
    assert.strictEqual(outcome.code, 0, outcome.stderr)
    const manifest = JSON.parse(readFileSync(file, "utf8")) as {
      models: ReadonlyArray<{ name: string; parents: ReadonlyArray<string> }>
    }
    const staging = manifest.models.find((model) => model.name === "stg_events")
    assert.isDefined(staging)
    assert.isTrue(manifest.models.some((model) => model.parents.includes("stg_events")))
  }, 60_000)
})
