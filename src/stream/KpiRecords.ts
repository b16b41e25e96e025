/**
 * The processor's side of the `kpi_minute` contract (domain/KpiMinute.ts): its window updates as
 * `window` records.
 */
import type { KpiWindowUpdate } from "../domain/KpiMinute.ts"
import type { WindowUpdate } from "./Windows.ts"

export const windowRecord = (update: WindowUpdate, partitions: number, watermarkMs: number): KpiWindowUpdate => ({
  kind: "window",
  minute: new Date(update.minuteStartMs).toISOString(),
  minuteStartMs: update.minuteStartMs,
  partition: update.partition,
  partitions,
  closed: update.closed,
  watermarkMs,
  measures: update.measures
})
