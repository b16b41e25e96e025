import { A } from "@solidjs/router"
import { onMount } from "solid-js"
import { pageView } from "./analytics.ts"

export const NotFound = () => {
  onMount(() => pageView("Page not found"))
  return (
    <div class="wrap page">
      <h1>Page not found</h1>
      <p>There is nothing at this address.</p>
      <p>
        <A href="/" class="button primary">
          Find your analytics stack
        </A>
      </p>
    </div>
  )
}
