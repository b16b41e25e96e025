/** The `sliders_first` layout's side panel: the top three tools for the answers so far, updated live. */
import { createMemo, For } from "solid-js"
import type { Answers } from "./model.ts"
import { rankTools } from "./scoring.ts"

export const LivePreview = (props: { readonly answers: Answers }) => {
  const top = createMemo(() => rankTools(props.answers).slice(0, 3))
  return (
    <aside class="card preview" aria-labelledby="preview-title">
      <h2 id="preview-title" class="preview-title">
        Best matches so far
      </h2>
      <ol class="preview-list">
        <For each={top()}>
          {(scored) => (
            <li>
              <span class="preview-name">{scored.tool.name}</span>
              <span class="preview-kind">{scored.tool.kind}</span>
            </li>
          )}
        </For>
      </ol>
      <p class="hint">Updates as you answer.</p>
    </aside>
  )
}
