/**
 * "Find your analytics stack" (route `/`): four steps, then the result page. Answers are kept in
 * localStorage, so a reload resumes where the user was. The layout is the `configurator_layout`
 * experiment: `control` puts the choices first under a numbered stepper; `sliders_first` puts the
 * sliders first under a progress bar, with a live top-3 preview beside the questions.
 *
 * Every configurator event of the catalog is sent from here (result events from ResultPage).
 */
import { useLocation, useNavigate } from "@solidjs/router"
import { createEffect, createSignal, For, on, onCleanup, onMount, Show } from "solid-js"
import { type LayoutVariant, layoutVariant, pageView, tracker } from "../analytics.ts"
import { clearProgress, decodeAnswers, encodeAnswers, hasAnswers, loadProgress, saveProgress } from "./answers.ts"
import { LivePreview } from "./LivePreview.tsx"
import {
  type Answers,
  DEFAULT_ANSWERS,
  type Feature,
  type OptionGroupSpec,
  QUIZ_ID,
  type SliderSpec,
  STEPS
} from "./model.ts"
import { OptionGroup } from "./OptionGroup.tsx"
import { Slider } from "./Slider.tsx"
import { resultId } from "./scoring.ts"
import { TOOLS } from "./tools.ts"

/** A quiz left untouched this long counts as abandoned. */
export const IDLE_MS = 10 * 60_000
const MAX_DURATION_MS = 7 * 24 * 3_600_000

const storage = (): Storage | undefined => {
  try {
    return localStorage
  } catch {
    return undefined
  }
}

const since = (start: number) => Math.min(MAX_DURATION_MS, Math.max(0, Math.round(Date.now() - start)))

const Stepper = (props: { readonly step: number }) => (
  <ol class="stepper" aria-label="Progress">
    <For each={STEPS}>
      {(spec, index) => (
        <li
          classList={{ done: index() < props.step, current: index() === props.step }}
          aria-current={index() === props.step ? "step" : undefined}
        >
          <span class="stepper-number" aria-hidden="true">
            {index() + 1}
          </span>
          <span class="stepper-label">{spec.title}</span>
        </li>
      )}
    </For>
  </ol>
)

const ProgressBar = (props: { readonly step: number }) => (
  <div
    class="progress"
    role="progressbar"
    aria-label="Progress"
    aria-valuemin="1"
    aria-valuemax={STEPS.length}
    aria-valuenow={props.step + 1}
    aria-valuetext={`Step ${props.step + 1} of ${STEPS.length}: ${STEPS[props.step]?.title ?? ""}`}
  >
    <div class="progress-fill" style={{ width: `${((props.step + 1) / STEPS.length) * 100}%` }} />
  </div>
)

export default function ConfiguratorPage() {
  const location = useLocation()
  const navigate = useNavigate()
  const layout: LayoutVariant = layoutVariant()
  const query = new URLSearchParams(location.search)
  const fromResult = hasAnswers(query)
  const saved = fromResult ? undefined : loadProgress(storage())
  const [answers, setAnswers] = createSignal<Answers>(
    fromResult ? decodeAnswers(query) : (saved?.answers ?? DEFAULT_ANSWERS)
  )
  const [step, setStep] = createSignal(saved?.step ?? 0)
  const startedAt = saved?.startedAt ?? Date.now()
  let abandoned = saved?.abandoned ?? false
  let completed = false
  let stepShownAt = Date.now()
  let heading: HTMLHeadingElement | undefined
  const current = () => STEPS[step()] ?? STEPS[0]

  const persist = () => saveProgress(storage(), { answers: answers(), step: step(), startedAt, abandoned })
  createEffect(() => {
    if (!completed) persist()
  })

  const abandon = () => {
    if (abandoned || completed) return
    abandoned = true
    persist()
    tracker.track("quiz_abandoned", {
      quiz_id: QUIZ_ID,
      step_id: current().id,
      step_index: step(),
      duration_ms: since(startedAt)
    })
  }
  let idle = setTimeout(abandon, IDLE_MS)
  const active = () => {
    clearTimeout(idle)
    idle = setTimeout(abandon, IDLE_MS)
  }
  const activity = ["pointerdown", "keydown", "input"] as const

  onMount(() => {
    pageView("Find your analytics stack")
    if (saved === undefined) {
      tracker.track("quiz_started", { quiz_id: QUIZ_ID, entry_point: fromResult ? "edit_result" : "home" })
    }
    addEventListener("pagehide", abandon)
    for (const type of activity) addEventListener(type, active, { passive: true })
  })
  onCleanup(() => {
    removeEventListener("pagehide", abandon)
    for (const type of activity) removeEventListener(type, active)
    clearTimeout(idle)
    // Leaving the quiz for another page of the app, mid-quiz.
    abandon()
  })

  let firstStep = true
  createEffect(
    on(step, (index) => {
      stepShownAt = Date.now()
      tracker.track("quiz_step_viewed", {
        quiz_id: QUIZ_ID,
        step_id: current().id,
        step_index: index,
        step_count: STEPS.length
      })
      // Keyboard and screen-reader users land on the new step's title (not on first load).
      if (!firstStep) heading?.focus()
      firstStep = false
    })
  )

  const setAnswer = <K extends keyof Answers>(key: K, value: Answers[K]) => setAnswers({ ...answers(), [key]: value })

  const slid = (spec: SliderSpec, value: number) => {
    setAnswer(spec.answer, value)
    tracker.track("slider_adjusted", {
      quiz_id: QUIZ_ID,
      step_id: current().id,
      slider_id: spec.id,
      value,
      min: spec.scale[0] ?? value,
      max: spec.scale[spec.scale.length - 1] ?? value
    })
  }

  const picked = (optionId: string, selected: boolean) =>
    tracker.track("option_selected", { quiz_id: QUIZ_ID, step_id: current().id, option_id: optionId, selected })

  const toggleFeature = (feature: Feature, selected: boolean) => {
    const others = answers().features.filter((f) => f !== feature)
    setAnswer("features", selected ? [...others, feature] : others)
    picked(feature, selected)
  }

  const next = (event: SubmitEvent) => {
    event.preventDefault()
    const index = step()
    tracker.track("quiz_step_completed", {
      quiz_id: QUIZ_ID,
      step_id: current().id,
      step_index: index,
      duration_ms: since(stepShownAt)
    })
    if (index < STEPS.length - 1) {
      setStep(index + 1)
      return
    }
    completed = true
    const final = answers()
    tracker.track("quiz_completed", {
      quiz_id: QUIZ_ID,
      result_id: resultId(final),
      step_count: STEPS.length,
      duration_ms: since(startedAt)
    })
    clearProgress(storage())
    navigate(`/result?${encodeAnswers(final)}`)
  }

  const group = (spec: OptionGroupSpec) => {
    switch (spec.answer) {
      case "useCase":
        return (
          <OptionGroup
            name="use-case"
            kind="single"
            legend={spec.legend}
            options={spec.options}
            isSelected={(id) => answers().useCase === id}
            onToggle={(id) => {
              setAnswer("useCase", id)
              picked(id, true)
            }}
          />
        )
      case "hosting":
        return (
          <OptionGroup
            name="hosting"
            kind="single"
            legend={spec.legend}
            options={spec.options}
            isSelected={(id) => answers().hosting === id}
            onToggle={(id) => {
              setAnswer("hosting", id)
              picked(id, true)
            }}
            compact
          />
        )
      case "features":
        return (
          <OptionGroup
            name="features"
            kind="multi"
            legend={spec.legend}
            options={spec.options}
            isSelected={(id) => answers().features.includes(id)}
            onToggle={toggleFeature}
          />
        )
    }
  }

  const sliders = () => (
    <For each={current().sliders}>
      {(spec) => (
        <Slider
          spec={spec}
          value={answers()[spec.answer]}
          onInput={(value) => setAnswer(spec.answer, value)}
          onCommit={(value) => slid(spec, value)}
        />
      )}
    </For>
  )
  const options = () => <For each={current().options}>{group}</For>

  return (
    <div class="wrap page quiz" data-layout={layout}>
      <div class="quiz-intro">
        <h1>Find your analytics stack</h1>
        <p class="intro-lead">
          Four questions about your team, use case, must-haves and budget. We rank {TOOLS.length} tools and tell you
          why.
        </p>
      </div>
      {layout === "control" ? <Stepper step={step()} /> : <ProgressBar step={step()} />}
      <div class="quiz-body">
        <form class="card step" onSubmit={next} aria-labelledby="step-title" novalidate>
          <p class="step-count">
            Step {step() + 1} of {STEPS.length}
          </p>
          <h2 id="step-title" class="step-title" tabindex="-1" ref={heading}>
            {current().title}
          </h2>
          <p class="step-lead">{current().lead}</p>
          <div class="step-fields">
            {layout === "sliders_first" ? (
              <>
                {sliders()}
                {options()}
              </>
            ) : (
              <>
                {options()}
                {sliders()}
              </>
            )}
          </div>
          <div class="step-actions">
            <Show when={step() > 0}>
              <button type="button" class="button" onClick={() => setStep(step() - 1)}>
                Back
              </button>
            </Show>
            <button type="submit" class="button primary">
              {step() === STEPS.length - 1 ? "See my stack" : "Next"}
            </button>
          </div>
        </form>
        <Show when={layout === "sliders_first"}>
          <LivePreview answers={answers()} />
        </Show>
      </div>
    </div>
  )
}
