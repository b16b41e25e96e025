/** The option type of every dashboard chart: only the series and components echarts.ts registers. */
import type {
  BarSeriesOption,
  FunnelSeriesOption,
  GraphSeriesOption,
  HeatmapSeriesOption,
  LineSeriesOption,
  SankeySeriesOption
} from "echarts/charts"
import type {
  GridComponentOption,
  LegendComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption
} from "echarts/components"
import type { ComposeOption } from "echarts/core"

export type ChartOption = ComposeOption<
  | BarSeriesOption
  | FunnelSeriesOption
  | GraphSeriesOption
  | HeatmapSeriesOption
  | LineSeriesOption
  | SankeySeriesOption
  | GridComponentOption
  | LegendComponentOption
  | TooltipComponentOption
  | VisualMapComponentOption
>
