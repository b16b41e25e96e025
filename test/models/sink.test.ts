/**
 * The kpi_minute sink against a real broker and DuckDB file: partitions summed, idempotent
 * re-publishing, when a minute counts as closed, retention, and malformed records.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  currentMinute,
  eventually,
  getJson,
  MINUTE_MS,
  progressRecord,
  startWarehouse,
  type TestWarehouse
} from "./fixtures.ts"

let warehouse: TestWarehouse

beforeAll(async () => {
  warehouse = await startWarehouse()
})
afterAll(() => warehouse.close())

interface MinuteJson {
  readonly minute: string
  readonly closed: boolean
  readonly partitions_reporting: number
  readonly events: number
  readonly events_by_type: Record<string, number>
  readonly distinct_users: number
  readonly funnel_steps: Record<string, number>
  readonly revenue_by_currency: Record<string, number>
  readonly latency: { readonly counts: ReadonlyArray<number>; readonly p95_ms: number | null }
}

/** The merged minute as the API returns it, once `ready` holds for it. */
const minuteWhen = (minuteMs: number, ready: (m: MinuteJson) => boolean) =>
  eventually(async () => {
    const { body } = await getJson(`${warehouse.baseUrl}/api/v1/kpis?minutes_back=60`)
    const minutes = (body as { minutes: ReadonlyArray<MinuteJson> }).minutes
    const found = minutes.find((m) => m.minute === new Date(minuteMs).toISOString())
    return found !== undefined && ready(found) ? found : undefined
  })

const buckets = (index: number, n: number) => {
  const counts = new Array<number>(13).fill(0)
  counts[index] = n
  return counts
}

describe("kpi_minute sink", () => {
  it("sums the partitions of a minute, merging maps and histograms", async () => {
    const minute = currentMinute() - 30 * MINUTE_MS
    await warehouse.produceUpdates(
      [0, 1, 2].map((partition) => ({
        minuteStartMs: minute,
        partition,
        measures: {
          events: 10 + partition,
          eventsByType: partition === 2 ? { purchase: 1 } : { quiz_started: 2, page_viewed: 8 + partition },
          distinctUsers: 3,
          funnelSteps: { step_1: partition + 1 },
          revenueByCurrency: { EUR: 1_500 * (partition + 1) },
          latencyBuckets: buckets(partition, 10 + partition)
        }
      }))
    )
    const merged = await minuteWhen(minute, (m) => m.partitions_reporting === 3)
    expect(merged.events).toBe(33)
    expect(merged.distinct_users).toBe(9)
    expect(merged.events_by_type).toEqual({ page_viewed: 17, purchase: 1, quiz_started: 4 })
    expect(merged.funnel_steps).toEqual({ step_1: 6 })
    expect(merged.revenue_by_currency).toEqual({ EUR: 9 })
    expect(merged.latency.counts.slice(0, 4)).toEqual([10, 11, 12, 0])
    expect(merged.latency.p95_ms).toBe(500)
    expect(merged.closed).toBe(false)
  })

  it("is idempotent when an update is re-published, and a later update of a partition replaces it", async () => {
    const minute = currentMinute() - 29 * MINUTE_MS
    const update = { minuteStartMs: minute, partition: 0, measures: { events: 5 } }
    await warehouse.produceUpdates([update, update, { minuteStartMs: minute, partition: 1, measures: { events: 2 } }])
    await warehouse.produceUpdates([update])
    const merged = await minuteWhen(minute, (m) => m.partitions_reporting === 2)
    expect(merged.events).toBe(7)
    await warehouse.produceUpdates([{ minuteStartMs: minute, partition: 1, measures: { events: 4 } }])
    const replaced = await minuteWhen(minute, (m) => m.events !== 7)
    expect(replaced.events).toBe(9)
    const rows = await warehouse.query(
      "SELECT count(*)::INTEGER AS n FROM kpi_minute_partition WHERE minute = make_timestamptz($1::BIGINT * 1000)",
      [minute]
    )
    expect(rows[0]?.n).toBe(2)
  })

  it("closes a minute once every partition's watermark passed it, with or without events in it", async () => {
    const m1 = currentMinute() - 20 * MINUTE_MS
    const m2 = m1 + MINUTE_MS
    // Partition 2 has no events in m1: it never sends a window for it.
    await warehouse.produceUpdates([
      { minuteStartMs: m1, partition: 0, measures: { events: 1 } },
      { minuteStartMs: m1, partition: 1, measures: { events: 1 } },
      { minuteStartMs: m1, partition: 0, closed: true, measures: { events: 2 } }
    ])
    const partly = await minuteWhen(m1, (m) => m.events === 3)
    expect(partly.closed).toBe(false)
    // Partition 1 closes m1 implicitly: its window of m2 carries a watermark past m1's end.
    await warehouse.produceUpdates([{ minuteStartMs: m2, partition: 1, watermarkMs: m2, measures: { events: 4 } }])
    const twoOfThree = await minuteWhen(m2, (m) => m.events === 4)
    expect(twoOfThree.closed).toBe(false)
    expect((await minuteWhen(m1, () => true)).closed).toBe(false)
    // Partition 2 reports progress past m1 (and not past m2).
    await warehouse.produce([progressRecord(2, m2 + 30_000)])
    const closed = await minuteWhen(m1, (m) => m.closed)
    expect(closed.events).toBe(3)
    expect(closed.partitions_reporting).toBe(2)
    expect((await minuteWhen(m2, () => true)).closed).toBe(false)
    // A replayed open record after the close does not change the partition's final row.
    await warehouse.produceUpdates([{ minuteStartMs: m1, partition: 0, measures: { events: 1 } }])
    await warehouse.produceUpdates([{ minuteStartMs: m2, partition: 0, measures: { events: 1 } }])
    await minuteWhen(m2, (m) => m.events === 5)
    const after = await minuteWhen(m1, () => true)
    expect(after.events).toBe(3)
    expect(after.closed).toBe(true)
  })

  it("skips and counts a malformed record and keeps consuming", async () => {
    const minute = currentMinute() - 15 * MINUTE_MS
    const before = await warehouse.metric("launchpad_warehouse_kpi_bad_records_total")
    await warehouse.produce([
      { key: "x", value: "not json" },
      { key: "x", value: JSON.stringify({ minuteStartMs: minute, partition: -1 }) },
      progressRecord(5, minute)
    ])
    await warehouse.produceUpdates([{ minuteStartMs: minute, partition: 0, measures: { events: 42 } }])
    const merged = await minuteWhen(minute, () => true)
    expect(merged.events).toBe(42)
    expect(await warehouse.metric("launchpad_warehouse_kpi_bad_records_total")).toBe(before + 3)
  })

  it("retention deletes minutes older than LAUNCHPAD_KPI_RETENTION_DAYS", async () => {
    const old = currentMinute() - 8 * 24 * 60 * MINUTE_MS
    const recent = currentMinute() - 10 * MINUTE_MS
    await warehouse.produceUpdates([
      { minuteStartMs: old, partition: 0, measures: { events: 1 } },
      { minuteStartMs: recent, partition: 0, measures: { events: 1 } }
    ])
    const count = async (minute: number) => {
      const rows = await warehouse.query(
        "SELECT count(*)::INTEGER AS n FROM kpi_minute_partition WHERE minute = make_timestamptz($1::BIGINT * 1000)",
        [minute]
      )
      return rows[0]?.n
    }
    await eventually(async () => ((await count(recent)) === 1 && (await count(old)) === 1 ? true : undefined))
    expect(await warehouse.retention()).toBeGreaterThanOrEqual(1)
    expect(await count(old)).toBe(0)
    expect(await count(recent)).toBe(1)
  })
})
