/**
 * `GET /api/v1/alerts` over a real warehouse: kpi_minute records produced as the stream processor does
 * (one partition), the anomalies worked out by hand from them.
 *
 * Minutes, S = the current minute − 10 (all closed unless said):
 * - S − 60 … S − 1: events alternate 10 (S − 60, S − 58, …) and 14; distinct users 5 throughout:
 *   mean 12 and sample deviation √(60 · 2² / 59) = √(240/59) for events; mean 5, deviation 0 for users;
 * - S: 30 events (z = 18 / √(240/59) ≈ 8.92: an alert) and 8 users (z = 3 / max(0, 1) = 3: not above 3);
 * - S + 5: 500 events, but open (the watermark has not passed it): provisional, never judged.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { currentMinute, eventually, getJson, MINUTE_MS, startWarehouse, type TestWarehouse } from "./fixtures.ts"

let warehouse: TestWarehouse
const S = currentMinute() - 10 * MINUTE_MS
const SD = Math.sqrt(240 / 59)
const iso = (ms: number) => new Date(ms).toISOString()

interface AlertsBody {
  readonly from: string
  readonly to: string
  readonly rule: string
  readonly alerts: ReadonlyArray<{
    readonly minute: string
    readonly measure: string
    readonly value: number
    readonly mean: number
    readonly stddev: number
    readonly z: number
    readonly baseline_minutes: number
  }>
}

const alerts = async (query: string) => {
  const { status, body } = await getJson(`${warehouse.baseUrl}/api/v1/alerts${query}`)
  assert.strictEqual(status, 200)
  return body as AlertsBody
}

const closed = (minuteStartMs: number, events: number, users: number) => ({
  minuteStartMs,
  partition: 0,
  partitions: 1,
  closed: true,
  measures: { events, distinctUsers: users }
})

beforeAll(async () => {
  warehouse = await startWarehouse()
}, 60_000)
afterAll(() => warehouse?.close())

describe("GET /api/v1/alerts", () => {
  it("answers an empty list before any minute", async () => {
    const body = await alerts("")
    assert.deepStrictEqual(body.alerts, [])
    assert.include(body.rule, "z-score above 3")
  })

  it("lists the spike with its mean, deviation and z-score, and not the users at exactly z = 3", async () => {
    const baseline = Array.from({ length: 60 }, (_, i) => closed(S - (60 - i) * MINUTE_MS, i % 2 === 0 ? 10 : 14, 5))
    await warehouse.produceUpdates([...baseline, closed(S, 30, 8)])
    const body = await eventually(async () => {
      const answer = await alerts("?minutes_back=120")
      return answer.alerts.length > 0 ? answer : undefined
    })
    assert.strictEqual(body.alerts.length, 1)
    const [spike] = body.alerts
    assert.deepInclude(spike, { minute: iso(S), measure: "events", value: 30, baseline_minutes: 60 })
    assert.closeTo(spike?.mean ?? 0, 12, 1e-9)
    assert.closeTo(spike?.stddev ?? 0, SD, 1e-9)
    assert.closeTo(spike?.z ?? 0, 18 / SD, 1e-9)
  })

  it("adds the users once they are 9 (z = 4), newest first; an open minute is never judged", async () => {
    await warehouse.produceUpdates([
      closed(S, 30, 9),
      { minuteStartMs: S + 5 * MINUTE_MS, partition: 0, partitions: 1, measures: { events: 500, distinctUsers: 50 } }
    ])
    const body = await eventually(async () => {
      const answer = await alerts("?minutes_back=120")
      return answer.alerts.length === 2 ? answer : undefined
    })
    assert.deepStrictEqual(
      body.alerts.map((a) => [a.minute, a.measure, a.value]),
      [
        [iso(S), "events", 30],
        [iso(S), "distinct_users", 9]
      ]
    )
    assert.deepInclude(body.alerts[1], { mean: 5, stddev: 0, z: 4 })
    const kpis = (await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=10`)).body as {
      minutes: ReadonlyArray<{ minute: string; closed: boolean; events: number }>
    }
    assert.deepInclude(
      kpis.minutes.find((m) => m.minute === iso(S + 5 * MINUTE_MS)),
      { closed: false, events: 500 }
    )
  })

  it("judges only the last minutes_back minutes, and names a bad minutes_back", async () => {
    const recent = await alerts("?minutes_back=5")
    assert.strictEqual(Date.parse(recent.to) - Date.parse(recent.from), 4 * MINUTE_MS)
    assert.deepStrictEqual(recent.alerts, [])
    const { status, body } = await getJson(`${warehouse.baseUrl}/api/v1/alerts?minutes_back=0`)
    assert.strictEqual(status, 400)
    assert.deepInclude((body as { error: { parameter: string } }).error, { parameter: "minutes_back" })
  })
})
