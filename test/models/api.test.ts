/**
 * The warehouse HTTP API over a real server: latest minute and freshness, ranges and their
 * validation errors, funnel math, and the Server-Sent Events feed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { currentMinute, eventually, getJson, MINUTE_MS, startWarehouse, type TestWarehouse } from "./fixtures.ts"

let warehouse: TestWarehouse

beforeAll(async () => {
  warehouse = await startWarehouse()
})
afterAll(() => warehouse.close())

const iso = (ms: number) => new Date(ms).toISOString()

describe("GET /api/v1/kpis and /api/v1/funnel", () => {
  it("answers before any update: no latest minute, empty range", async () => {
    const latest = await getJson(`${warehouse.baseUrl}/api/v1/kpis/latest`)
    expect(latest.status).toBe(200)
    expect(latest.body).toMatchObject({ kpis: null, freshness: { last_update_at: null, latest_closed_minute: null } })
    const range = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=5`)
    expect(range.status).toBe(200)
    expect(range.body).toMatchObject({ minutes: [] })
  })

  it("range returns one row per minute with events, oldest first, within minutes_back", async () => {
    const now = currentMinute()
    await warehouse.produceUpdates([
      { minuteStartMs: now - 40 * MINUTE_MS, partition: 0, measures: { events: 1 } },
      { minuteStartMs: now - 3 * MINUTE_MS, partition: 0, measures: { events: 3 } },
      { minuteStartMs: now - 2 * MINUTE_MS, partition: 1, measures: { events: 2 } }
    ])
    const body = await eventually(async () => {
      const { body } = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=60`)
      const b = body as { minutes: ReadonlyArray<{ minute: string; events: number }> }
      return b.minutes.length === 3 ? b : undefined
    })
    expect(body.minutes.map((m) => [m.minute, m.events])).toEqual([
      [iso(now - 40 * MINUTE_MS), 1],
      [iso(now - 3 * MINUTE_MS), 3],
      [iso(now - 2 * MINUTE_MS), 2]
    ])
    const short = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=10`)
    const s = short.body as { from: string; minutes: ReadonlyArray<{ minute: string }> }
    expect(s.minutes.map((m) => m.minute)).toEqual([iso(now - 3 * MINUTE_MS), iso(now - 2 * MINUTE_MS)])
    expect(Date.parse(s.from)).toBeGreaterThanOrEqual(now - 10 * MINUTE_MS)
  })

  it("rejects a bad minutes_back with a structured 400", async () => {
    // Only decimal digits: hex, exponents, signs, blanks and padding are refused, not reinterpreted.
    for (const bad of ["0", "10081", "abc", "1.5", "-3", "0x10", "1e3", "%205", "5%20", "", "+5", "٥"]) {
      const { status, body } = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=${bad}`)
      expect(status, bad).toBe(400)
      expect(body).toMatchObject({
        _tag: "InvalidQuery",
        error: {
          status: 400,
          code: "invalid_query",
          message: "minutes_back must be a decimal integer between 1 and 10080",
          parameter: "minutes_back"
        }
      })
    }
    const funnel = await getJson(`${warehouse.baseUrl}/api/v1/funnel?minutes_back=0`)
    expect(funnel.status).toBe(400)
    const edge = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=10080`)
    expect(edge.status).toBe(200)
  })

  it("funnel: users per stage summed over minutes and partitions, in funnel order, with conversion rates", async () => {
    const now = currentMinute()
    await warehouse.produceUpdates([
      {
        minuteStartMs: now - 5 * MINUTE_MS,
        partition: 0,
        measures: { funnelSteps: { started: 6, step_viewed: 5, completed: 2 } }
      },
      {
        minuteStartMs: now - 4 * MINUTE_MS,
        partition: 2,
        measures: { funnelSteps: { started: 4, step_viewed: 3, completed: 1, result_viewed: 1 } }
      }
    ])
    const funnel = await eventually(async () => {
      const { body } = await getJson(`${warehouse.baseUrl}/api/v1/funnel?minutes_back=30`)
      const f = body as { starts: number }
      return f.starts === 10 ? body : undefined
    })
    // started 6 + 4, step_viewed 5 + 3, completed 2 + 1, result_viewed 1, purchased none.
    expect(funnel).toMatchObject({
      starts: 10,
      steps: [
        { step: "started", count: 10, rate_from_start: 1, rate_from_previous: 1 },
        { step: "step_viewed", count: 8, rate_from_start: 0.8, rate_from_previous: 0.8 },
        { step: "completed", count: 3, rate_from_start: 0.3, rate_from_previous: 3 / 8 },
        { step: "result_viewed", count: 1, rate_from_start: 0.1, rate_from_previous: 1 / 3 },
        { step: "purchased", count: 0, rate_from_start: 0, rate_from_previous: 0 }
      ],
      completions: 3,
      conversion_rate: 0.3
    })
    const none = await getJson(`${warehouse.baseUrl}/api/v1/funnel?minutes_back=1`)
    expect(none.body).toMatchObject({ starts: 0, completions: 0, conversion_rate: null })
  })

  it("latest: the newest minute merged, with freshness", async () => {
    const now = currentMinute()
    await warehouse.produceUpdates([
      { minuteStartMs: now, partition: 0, measures: { events: 7, configuratorShares: 1 } },
      { minuteStartMs: now, partition: 1, measures: { events: 5, configuratorShares: 2 } },
      { minuteStartMs: now - MINUTE_MS, partition: 0, closed: true },
      { minuteStartMs: now - MINUTE_MS, partition: 1, closed: true },
      { minuteStartMs: now - MINUTE_MS, partition: 2, closed: true }
    ])
    const latest = await eventually(async () => {
      const { body } = await getJson(`${warehouse.baseUrl}/api/v1/kpis/latest`)
      const b = body as { kpis: { events: number } | null; freshness: { latest_closed_minute: string | null } }
      return b.kpis?.events === 12 && b.freshness.latest_closed_minute !== null ? b : undefined
    })
    expect(latest).toMatchObject({
      // Every measure of KPI_MEASURES is a field, summed over the partitions: 1 + 2 shares.
      kpis: { minute: iso(now), closed: false, partitions_reporting: 2, events: 12, configurator_shares: 3 },
      freshness: { latest_closed_minute: iso(now - MINUTE_MS) }
    })
  })
})

describe("GET /api/v1/live", () => {
  it("pushes an event for each update and cleans up when the client goes away", async () => {
    const abort = new AbortController()
    const response = await fetch(`${warehouse.baseUrl}/api/v1/live`, { signal: abort.signal })
    expect(response.status).toBe(200)
    expect(response.headers.get("content-type")).toContain("text/event-stream")
    const body = response.body
    if (body === null) throw new Error("no body")
    const reader = body.pipeThrough(new TextDecoderStream()).getReader()
    let text = ""
    const readUntil = async (done: (text: string) => boolean) => {
      while (!done(text)) {
        const chunk = await reader.read()
        if (chunk.done) throw new Error("stream ended")
        text += chunk.value
      }
    }
    await readUntil((t) => t.includes(": connected"))
    expect(await warehouse.metric("launchpad_warehouse_sse_clients")).toBe(1)
    const minute = currentMinute() - 50 * MINUTE_MS
    await warehouse.produceUpdates([{ minuteStartMs: minute, partition: 1, measures: { events: 99 } }])
    const marker = `"minute":"${iso(minute)}"`
    await readUntil((t) => t.includes(marker))
    const event = text
      .split("\n\n")
      .find((block) => block.includes(marker))
      ?.split("\n")
    expect(event?.[0]).toBe("event: kpi")
    const data = JSON.parse(event?.[1]?.slice("data: ".length) ?? "null")
    expect(data).toMatchObject({ minute: iso(minute), events: 99, partitions_reporting: 1 })
    abort.abort()
    await eventually(async () => ((await warehouse.metric("launchpad_warehouse_sse_clients")) === 0 ? true : undefined))
  })
})
