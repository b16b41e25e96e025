/**
 * The model endpoints on a real warehouse server (an empty lake: the models build empty tables), and
 * LAUNCHPAD_API_TOKEN on the read and run endpoints.
 */
import { Duration, Option, Redacted } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { startWarehouse, type TestWarehouse } from "./fixtures.ts"

const TOKEN = "read-token-0123456789"

let open: TestWarehouse
let guarded: TestWarehouse

beforeAll(async () => {
  // The scheduled run still runs once at start; an hour's interval keeps it out of the way afterwards.
  const settings = { modelsInterval: Duration.hours(1) }
  open = await startWarehouse({ settings })
  guarded = await startWarehouse({
    broker: open.broker(),
    settings: { ...settings, apiToken: Option.some(Redacted.make(TOKEN)) }
  })
}, 60_000)
afterAll(async () => {
  await guarded.close()
  await open.close()
})

const call = async (base: string, path: string, init: RequestInit = {}) => {
  const response = await fetch(`${base}${path}`, init)
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
}

/** POSTs until no other run is in progress (the scheduled run at start may be). */
const runModels = async (base: string, payload: object, headers: Record<string, string> = {}) => {
  for (;;) {
    const answer = await call(base, "/api/v1/models/run", {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(payload)
    })
    if (answer.status !== 409) return answer
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

interface RunReport {
  readonly run: { readonly run_id: string; readonly status: string; readonly succeeded: number }
  readonly results: ReadonlyArray<{ readonly model: string; readonly status: string }>
}

describe("model endpoints", () => {
  it("POST /api/v1/models/run builds the selection and logs it; the run and the manifest can be read back", async () => {
    const ran = await runModels(open.baseUrl, { select: "+fct_daily_activity", full_refresh: true })
    expect(ran.status).toBe(200)
    const report = ran.body as RunReport
    expect(report.run.status).toBe("success")
    // fct_daily_activity and its ancestors, nothing else.
    expect(report.results.map((r) => [r.model, r.status]).sort()).toEqual([
      ["fct_daily_activity", "success"],
      ["int_user_days", "success"],
      ["stg_events", "success"],
      ["stg_events_deduplicated", "success"],
      ["stg_identities", "success"]
    ])

    const one = await call(open.baseUrl, `/api/v1/models/runs/${report.run.run_id}`)
    expect(one.status).toBe(200)
    expect((one.body as RunReport).run.run_id).toBe(report.run.run_id)
    const runs = await call(open.baseUrl, "/api/v1/models/runs?limit=5")
    expect((runs.body as { runs: ReadonlyArray<{ run_id: string }> }).runs.map((r) => r.run_id)).toContain(
      report.run.run_id
    )

    const manifest = await call(open.baseUrl, "/api/v1/models")
    expect(manifest.status).toBe(200)
    const models = (manifest.body as { models: ReadonlyArray<{ name: string; parents: ReadonlyArray<string> }> }).models
    expect(models.find((m) => m.name === "fct_daily_activity")?.parents).toEqual(["int_user_days"])
  })

  it("answers a bad selection with a 400 naming it, and an unknown run with a 404", async () => {
    const bad = await runModels(open.baseUrl, { select: "no_such_model" })
    expect(bad.status).toBe(400)
    expect(bad.body).toMatchObject({ error: { code: "invalid_request", parameter: "select" } })
    const missing = await call(open.baseUrl, "/api/v1/models/runs/nope")
    expect(missing.status).toBe(404)
    expect(missing.body).toMatchObject({ error: { code: "not_found" } })
  })

  it("POST /api/v1/models/test runs the data tests and reports them", async () => {
    for (;;) {
      const answer = await call(open.baseUrl, "/api/v1/models/test", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ select: "stg_events_deduplicated" })
      })
      if (answer.status === 409) continue
      expect(answer.status).toBe(200)
      const report = answer.body as { ok: boolean; tests: ReadonlyArray<{ test_id: string; status: string }> }
      expect(report.tests.map((t) => t.test_id)).toContain("unique.stg_events_deduplicated.event_id")
      expect(report.tests.every((t) => t.status === "pass")).toBe(true)
      break
    }
  })
})

describe("LAUNCHPAD_API_TOKEN", () => {
  it("read and run endpoints need the bearer token; health and metrics stay open", async () => {
    for (const path of ["/api/v1/kpis/latest", "/api/v1/models", "/api/v1/funnel"]) {
      const none = await call(guarded.baseUrl, path)
      expect(none.status, path).toBe(401)
      expect(none.body).toMatchObject({ error: { status: 401, code: "unauthorized" } })
      const wrong = await call(guarded.baseUrl, path, { headers: { authorization: "Bearer wrong-token-0123456789" } })
      expect(wrong.status, path).toBe(401)
      const right = await call(guarded.baseUrl, path, { headers: { authorization: `Bearer ${TOKEN}` } })
      expect(right.status, path).toBe(200)
    }
    const run = await runModels(guarded.baseUrl, {})
    expect(run.status).toBe(401)
    expect((await runModels(guarded.baseUrl, {}, { authorization: `Bearer ${TOKEN}` })).status).toBe(200)
    expect((await fetch(`${guarded.baseUrl}/metrics`)).status).toBe(200)
    expect((await fetch(`${guarded.baseUrl}/health/live`)).status).toBe(200)
  })
})
