/** Every section after the overview, in page order: a chunk of its own (see DashboardPage). */
import { Business } from "./sections/Business.tsx"
import { Experiments } from "./sections/Experiments.tsx"
import { Funnels } from "./sections/Funnels.tsx"
import { Live } from "./sections/Live.tsx"
import { Pipeline } from "./sections/Pipeline.tsx"
import { Retention } from "./sections/Retention.tsx"
import { Trends } from "./sections/Trends.tsx"
import type { View } from "./view.ts"

export default function BelowTheCards(props: { readonly view: View }) {
  return (
    <>
      <Live />
      <Funnels view={props.view} />
      <Retention view={props.view} />
      <Experiments view={props.view} />
      <Trends view={props.view} />
      <Business view={props.view} />
      <Pipeline view={props.view} />
    </>
  )
}
