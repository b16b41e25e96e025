/**
 * The one chart component: it owns the ECharts instance of its element — created when ECharts has
 * loaded (its own chunk), given the dashboard's theme, resized with its box, fed each new option,
 * disposed with the component. The chart is an image to assistive technology, labelled; its data is
 * in the table each panel offers beside it.
 */
import type { ECharts } from "echarts/core"
import { createEffect, createSignal, onCleanup, onMount } from "solid-js"
import type { ChartOption } from "./chartOption.ts"

export interface ChartClick {
  readonly name: string
  readonly dataType: string | undefined
}

export const Chart = (props: {
  readonly option: ChartOption
  /** What the chart shows, for screen readers. */
  readonly label: string
  readonly height?: number
  /** Below this width (px) the chart keeps it and its box scrolls sideways (a graph that cannot shrink). */
  readonly minWidth?: number
  readonly onClick?: (click: ChartClick) => void
}) => {
  let element: HTMLDivElement | undefined
  const [chart, setChart] = createSignal<ECharts>()
  let observer: ResizeObserver | undefined
  let disposed = false

  onMount(() => {
    void import("./echarts.ts").then(({ createChart }) => {
      if (disposed || element === undefined) return
      const instance = createChart(element)
      instance.on("click", (params) => {
        const click = params as { readonly name?: unknown; readonly dataType?: unknown }
        props.onClick?.({
          name: String(click.name ?? ""),
          dataType: typeof click.dataType === "string" ? click.dataType : undefined
        })
      })
      observer = new ResizeObserver(() => instance.resize())
      observer.observe(element)
      setChart(instance)
    })
  })

  createEffect(() => {
    const instance = chart()
    if (instance === undefined) return
    instance.setOption({ animationDuration: 300, ...props.option }, { notMerge: true })
  })

  onCleanup(() => {
    disposed = true
    observer?.disconnect()
    chart()?.dispose()
  })

  const box = (
    <div
      class="chart"
      role="img"
      aria-label={props.label}
      ref={element}
      style={{
        height: `${props.height ?? 260}px`,
        ...(props.minWidth === undefined ? {} : { "min-width": `${props.minWidth}px` })
      }}
      data-ready={chart() === undefined ? "false" : "true"}
    />
  )
  return props.minWidth === undefined ? (
    box
  ) : (
    // Focusable, so that a keyboard can scroll it.
    <section class="chart-scroll" aria-label={`${props.label} (scrolls sideways)`} tabindex="0">
      {box}
    </section>
  )
}
