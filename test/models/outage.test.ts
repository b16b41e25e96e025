/**
 * The sink rides out a broker outage, and resumes from the offsets stored in DuckDB rather than the
 * group's: a new database file replays kpi_minute from the start.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { currentMinute, eventually, getJson, MINUTE_MS, startWarehouse, type TestWarehouse } from "./fixtures.ts"

let warehouse: TestWarehouse

beforeAll(async () => {
  warehouse = await startWarehouse()
})
afterAll(() => warehouse.close())

const eventsOf = async (minute: number) => {
  const { body } = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=30`)
  const minutes = (body as { minutes: ReadonlyArray<{ minute: string; events: number }> }).minutes
  return minutes.find((m) => m.minute === new Date(minute).toISOString())?.events
}

describe("kpi_minute sink under a broker outage", () => {
  it("keeps serving during the outage and applies updates produced after the broker is back", async () => {
    const minute = currentMinute() - 5 * MINUTE_MS
    await warehouse.produceUpdates([{ minuteStartMs: minute, partition: 0, measures: { events: 1 } }])
    await eventually(async () => ((await eventsOf(minute)) === 1 ? true : undefined))
    const bounced = warehouse.bounceBroker(2_000)
    // The API answers from DuckDB while Kafka is down.
    expect((await getJson(`${warehouse.baseUrl}/api/v1/kpis/latest`)).status).toBe(200)
    await bounced
    await eventually(async () => {
      await warehouse.produceUpdates([{ minuteStartMs: minute, partition: 1, measures: { events: 2 } }])
      return true
    }, 30_000)
    expect(await eventually(async () => ((await eventsOf(minute)) === 3 ? 3 : undefined), 40_000)).toBe(3)
  })

  it("rebuilds a new database file from the topic although the group has committed offsets", async () => {
    const minute = currentMinute() - 5 * MINUTE_MS
    const broker = warehouse.broker()
    await warehouse.close({ keepBroker: true })
    warehouse = await startWarehouse({ broker })
    expect(await eventually(async () => ((await eventsOf(minute)) === 3 ? 3 : undefined), 30_000)).toBe(3)
    const [stored] = await warehouse.query("SELECT next_offset::INTEGER AS n FROM kpi_consumer_offsets")
    expect(stored?.n).toBeGreaterThanOrEqual(2)
  })
})
