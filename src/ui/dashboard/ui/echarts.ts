/**
 * ECharts 6 with modular imports: only the chart types and components the dashboard draws, on the
 * canvas renderer, with the dashboard's theme. The one module that imports ECharts at run time; the
 * Chart component loads it on first use, so it is its own chunk and the KPI cards never wait for it.
 */
import { BarChart, FunnelChart, GraphChart, HeatmapChart, LineChart, SankeyChart } from "echarts/charts"
import { GridComponent, LegendPlainComponent, TooltipComponent, VisualMapContinuousComponent } from "echarts/components"
import { type ECharts, init, registerTheme, use } from "echarts/core"
import { CanvasRenderer } from "echarts/renderers"
import { PALETTE } from "./palette.ts"

use([
  BarChart,
  FunnelChart,
  GraphChart,
  HeatmapChart,
  LineChart,
  SankeyChart,
  GridComponent,
  LegendPlainComponent,
  TooltipComponent,
  VisualMapContinuousComponent,
  CanvasRenderer
])

registerTheme("launchpad", {
  color: PALETTE.series,
  backgroundColor: "transparent",
  textStyle: { fontFamily: 'Inter, "Segoe UI", Roboto, system-ui, sans-serif', color: PALETTE.ink },
  categoryAxis: {
    axisLine: { lineStyle: { color: PALETTE.line } },
    axisTick: { show: false },
    axisLabel: { color: PALETTE.muted },
    splitLine: { show: false }
  },
  valueAxis: {
    axisLine: { show: false },
    axisLabel: { color: PALETTE.muted },
    splitLine: { lineStyle: { color: PALETTE.grid } }
  },
  legend: { textStyle: { color: PALETTE.ink } },
  tooltip: { backgroundColor: "#fff", borderColor: PALETTE.line, textStyle: { color: PALETTE.ink } }
})

export const createChart = (element: HTMLElement): ECharts => init(element, "launchpad", { renderer: "canvas" })
