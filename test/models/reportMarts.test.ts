/** Every mart the dashboard offers as an export for a report is a mart of the model project. */
import { assert, describe, it } from "@effect/vitest"
import { REPORT_MARTS } from "../../src/models/api/ReportMarts.ts"
import { REPORTS } from "../../src/models/api/Reports.ts"
import { modelDeclarations } from "../../src/models/sql/index.ts"

describe("REPORT_MARTS", () => {
  it("names a mart of the project for every report", () => {
    const marts = new Set(modelDeclarations.filter((m) => m.layer === "marts").map((m) => m.name))
    assert.sameMembers(Object.keys(REPORT_MARTS), [...REPORTS])
    for (const [report, names] of Object.entries(REPORT_MARTS)) {
      assert.isAbove(names.length, 0, report)
      for (const name of names) assert.isTrue(marts.has(name), `${report}: ${name} is not a mart`)
    }
  })
})
