/**
 * A labelled range input over a fixed scale of values. `onInput` follows the thumb; `onCommit` fires
 * when the user lets go (or on each arrow key), which is when `slider_adjusted` is sent.
 */
import type { SliderSpec } from "./model.ts"

export interface SliderProps {
  readonly spec: SliderSpec
  readonly value: number
  readonly onInput: (value: number) => void
  readonly onCommit: (value: number) => void
}

export const Slider = (props: SliderProps) => {
  const id = () => `slider-${props.spec.id}`
  const last = () => props.spec.scale.length - 1
  const valueAt = (index: string) => props.spec.scale[Number(index)] ?? props.value
  const fill = () => `${(Math.max(0, props.spec.scale.indexOf(props.value)) / last()) * 100}%`
  return (
    <div class="slider">
      <div class="slider-head">
        <label for={id()}>{props.spec.label}</label>
        <output for={id()} class="slider-value">
          {props.spec.format(props.value)}
        </output>
      </div>
      <input
        id={id()}
        type="range"
        min="0"
        max={last()}
        step="1"
        value={Math.max(0, props.spec.scale.indexOf(props.value))}
        aria-valuetext={props.spec.format(props.value)}
        aria-describedby={`${id()}-hint`}
        style={{ "--fill": fill() }}
        onInput={(event) => props.onInput(valueAt(event.currentTarget.value))}
        onChange={(event) => props.onCommit(valueAt(event.currentTarget.value))}
      />
      <div class="slider-scale" aria-hidden="true">
        <span>{props.spec.format(props.spec.scale[0] ?? 0)}</span>
        <span>{props.spec.format(props.spec.scale[last()] ?? 0)}</span>
      </div>
      <p id={`${id()}-hint`} class="hint">
        {props.spec.hint}
      </p>
    </div>
  )
}
