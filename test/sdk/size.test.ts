/** The SDK bundle other sites load (dist/app/sdk/launchpad.js, built by `launchpad build`): at most 6 KB min+gzip. */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { gzipSync } from "node:zlib"
import { assert, describe, it } from "@effect/vitest"
import { builtWebApp } from "../ui/fixtures/build.ts"

const SDK_MAX_GZIP_BYTES = 6 * 1024

describe("SDK bundle", () => {
  it("is one minified ESM file of at most 6 KB gzipped, exporting createTracker", async () => {
    const dir = await builtWebApp()
    const bundle = readFileSync(join(dir, "sdk/launchpad.js"))
    const gzipped = gzipSync(bundle, { level: 9 }).length
    console.log(`SDK bundle: ${bundle.length} B minified, ${gzipped} B gzip`)
    assert.isAtMost(gzipped, SDK_MAX_GZIP_BYTES)
    const source = bundle.toString("utf8")
    assert.match(source, /export\s*\{[^}]*\bas createTracker\b/)
    assert.notInclude(source, "\n  ", "minified")
    assert.notMatch(source, /effect\/|Schema\./, "no domain runtime (Effect Schema) in the bundle")
  }, 120_000)
})
