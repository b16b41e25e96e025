/**
 * The filters every report shares, kept in the URL: the date range (both days, or the API's default:
 * the 30 days up to the latest day with data) and the device.
 */
import { For, Show } from "solid-js"
import { DeviceFilter } from "../../models/api/Reports.ts"
import { okValue } from "./api/report.ts"
import { daysIn } from "./model/query.ts"
import type { View } from "./view.ts"

const DEVICE_LABELS: Readonly<Record<string, string>> = {
  all: "All devices",
  desktop: "Desktop",
  mobile: "Mobile",
  tablet: "Tablet"
}

export const FilterBar = (props: { readonly view: View }) => {
  const shown = () => props.view.filters().range ?? okValue(props.view.engagement)?.range
  const note = () => {
    const range = props.view.filters().range
    if (range !== undefined) return `${daysIn(range)} days, compared with the ${daysIn(range)} days before.`
    const answered = shown()
    return answered === undefined
      ? "The 30 days up to the latest data."
      : `The 30 days up to the latest data (${answered.from} – ${answered.to}), compared with the 30 days before.`
  }
  let from: HTMLInputElement | undefined
  let to: HTMLInputElement | undefined
  const applyRange = () => {
    const a = from?.value ?? ""
    const b = to?.value ?? ""
    if (a !== "" && b !== "" && a <= b) props.view.set({ from: a, to: b })
  }
  return (
    <form class="filters card" aria-label="Filters" onSubmit={(event) => event.preventDefault()}>
      <div class="field">
        <label for="filter-from">From</label>
        <input id="filter-from" ref={from} type="date" value={shown()?.from ?? ""} onChange={applyRange} />
      </div>
      <div class="field">
        <label for="filter-to">To</label>
        <input id="filter-to" ref={to} type="date" value={shown()?.to ?? ""} onChange={applyRange} />
      </div>
      <div class="field">
        <label for="filter-device">Device</label>
        <select
          id="filter-device"
          value={props.view.filters().device}
          onChange={(event) =>
            props.view.set({ device: event.currentTarget.value === "all" ? undefined : event.currentTarget.value })
          }
        >
          <For each={DeviceFilter.literals}>
            {(device) => <option value={device}>{DEVICE_LABELS[device] ?? device}</option>}
          </For>
        </select>
      </div>
      <p class="filters-note hint">
        {note()}{" "}
        <Show when={props.view.filters().range !== undefined}>
          <button type="button" class="link-button" onClick={() => props.view.set({ from: undefined, to: undefined })}>
            Back to the default range.
          </button>{" "}
        </Show>
        The device filter applies to engagement, revenue and search.
      </p>
    </form>
  )
}
