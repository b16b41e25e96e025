/** A fieldset of option cards: radios for one choice, checkboxes for several. Native inputs, so keyboards and screen readers get the usual behaviour. */
import { For } from "solid-js"
import type { OptionSpec } from "./model.ts"

export interface OptionGroupProps<A extends string> {
  readonly name: string
  readonly legend: string
  readonly kind: "single" | "multi"
  readonly options: ReadonlyArray<OptionSpec<A>>
  readonly isSelected: (id: A) => boolean
  readonly onToggle: (id: A, selected: boolean) => void
  readonly compact?: boolean
}

export const OptionGroup = <A extends string>(props: OptionGroupProps<A>) => (
  <fieldset class="options" classList={{ compact: props.compact === true }}>
    <legend>{props.legend}</legend>
    <div class="option-grid">
      <For each={props.options}>
        {(option) => (
          <label class="option">
            <input
              type={props.kind === "single" ? "radio" : "checkbox"}
              name={props.name}
              value={option.id}
              checked={props.isSelected(option.id)}
              onChange={(event) => props.onToggle(option.id, event.currentTarget.checked)}
            />
            <span class="option-body">
              <span class="option-label">{option.label}</span>
              <span class="option-description">{option.description}</span>
            </span>
          </label>
        )}
      </For>
    </div>
  </fieldset>
)
