/** The option of a KPI card's sparkline: the daily series as a thin line, no axes. */
import type { ChartOption } from "./chartOption.ts"
import { PALETTE } from "./palette.ts"

export const sparkline = (
  series: ReadonlyArray<{ readonly day: string; readonly value: number | null }>
): ChartOption => ({
  animation: false,
  grid: { left: 2, right: 2, top: 4, bottom: 4 },
  xAxis: { type: "category", show: false, data: series.map((p) => p.day) },
  yAxis: { type: "value", show: false, scale: true },
  tooltip: { show: false },
  series: [
    {
      type: "line",
      data: series.map((p) => p.value),
      showSymbol: false,
      connectNulls: true,
      lineStyle: { width: 2, color: PALETTE.brand },
      areaStyle: { color: PALETTE.grid }
    }
  ]
})
