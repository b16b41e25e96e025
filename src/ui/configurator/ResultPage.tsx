/**
 * The recommendation (route `/result?…`): the answers are the query, so the link reopens the same
 * ranking anywhere. Sends `result_viewed`, `result_shared` and `recommendation_clicked`.
 */
import { A, useLocation, useNavigate } from "@solidjs/router"
import { createSignal, For, onMount, Show } from "solid-js"
import { pageView, tracker } from "../analytics.ts"
import { decodeAnswers, encodeAnswers, hasAnswers } from "./answers.ts"
import { type Answers, FEATURE_OPTIONS, labelOf, QUIZ_ID, SLIDERS } from "./model.ts"
import { rankTools, resultId, TOP } from "./scoring.ts"

const LICENSES = { open_source: "Open source", source_available: "Source available", proprietary: "Proprietary" }

const summary = (answers: Answers): ReadonlyArray<readonly [string, string]> => [
  ["Team", SLIDERS.teamSize.format(answers.teamSize)],
  ["Engineers", SLIDERS.engineers.format(answers.engineers)],
  ["Use case", labelOf(answers.useCase)],
  ["Volume", SLIDERS.eventsPerMonth.format(answers.eventsPerMonth)],
  [
    "Must-haves",
    answers.features.length === 0
      ? "None"
      : FEATURE_OPTIONS.filter((o) => answers.features.includes(o.id))
          .map((o) => o.label)
          .join(", ")
  ],
  ["Budget", SLIDERS.budget.format(answers.budget)],
  ["Hosting", labelOf(answers.hosting)]
]

export default function ResultPage() {
  const location = useLocation()
  const navigate = useNavigate()
  const params = new URLSearchParams(location.search)
  const valid = hasAnswers(params)
  const answers = decodeAnswers(params)
  const ranked = rankTools(answers).slice(0, TOP)
  const id = resultId(answers)
  const link = `${window.location.origin}/result?${encodeAnswers(answers)}`
  const [status, setStatus] = createSignal("")
  const canShare = typeof navigator.share === "function"
  let linkInput: HTMLInputElement | undefined

  onMount(() => {
    if (!valid) {
      navigate("/", { replace: true })
      return
    }
    pageView("Your analytics stack")
    tracker.track("result_viewed", { quiz_id: QUIZ_ID, result_id: id, product_ids: ranked.map((s) => s.tool.id) })
  })

  const shared = (channel: "link" | "email" | "other") =>
    tracker.track("result_shared", { quiz_id: QUIZ_ID, result_id: id, channel })

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link)
      setStatus("Link copied.")
    } catch {
      linkInput?.select()
      setStatus("The link is selected: press Ctrl+C (⌘C) to copy it.")
    }
    shared("link")
  }

  const share = async () => {
    try {
      await navigator.share({ title: "My analytics stack", text: "The analytics stack that fits my team:", url: link })
      shared("other")
    } catch {
      // Dismissed: nothing was shared.
    }
  }

  const mail = `mailto:?subject=${encodeURIComponent("My analytics stack")}&body=${encodeURIComponent(link)}`

  return (
    <Show when={valid}>
      <div class="wrap page result-page">
        <div class="result-intro">
          <p class="eyebrow">Your recommendation</p>
          <h1>Your analytics stack</h1>
          <dl class="answers">
            <For each={summary(answers)}>
              {([term, value]) => (
                <div class="answer">
                  <dt>{term}</dt>
                  <dd>{value}</dd>
                </div>
              )}
            </For>
          </dl>
          <p class="result-actions">
            <A href={`/?${encodeAnswers(answers)}`} class="button">
              Change answers
            </A>
            <A href="/" class="button quiet">
              Start over
            </A>
          </p>
        </div>
        <ol class="results">
          <For each={ranked}>
            {(scored, index) => (
              <li class="card result" classList={{ top: index() === 0 }}>
                <div class="result-rank" aria-hidden="true">
                  {index() + 1}
                </div>
                <div class="result-main">
                  <h2 class="result-name">
                    <span class="visually-hidden">Number {index() + 1}: </span>
                    {scored.tool.name}
                  </h2>
                  <p class="result-meta">
                    <span>{scored.tool.kind}</span>
                    <span>{LICENSES[scored.tool.license]}</span>
                    <span>{scored.offering === "self" ? "Self-hosted" : "Managed cloud"}</span>
                    <span>
                      {scored.monthlyCost === 0 ? "Free" : `≈ $${scored.monthlyCost.toLocaleString("en")}/month`}
                    </span>
                  </p>
                  <p class="result-summary">{scored.tool.summary}</p>
                  <ul class="reasons" aria-label={`Why ${scored.tool.name}`}>
                    <For each={scored.reasons.slice(0, 4)}>
                      {(reason) => (
                        <li classList={{ good: reason.points > 0, bad: reason.points < 0 }}>
                          <span class="reason-mark" aria-hidden="true">
                            {reason.points > 0 ? "✓" : "!"}
                          </span>
                          {reason.text}
                        </li>
                      )}
                    </For>
                  </ul>
                  <a
                    class="button"
                    href={scored.tool.url}
                    target="_blank"
                    rel="noopener"
                    onClick={() =>
                      tracker.track("recommendation_clicked", {
                        quiz_id: QUIZ_ID,
                        result_id: id,
                        product_id: scored.tool.id,
                        position: index()
                      })
                    }
                  >
                    Visit {scored.tool.name}
                    <span class="visually-hidden"> (opens in a new tab)</span>
                  </a>
                </div>
              </li>
            )}
          </For>
        </ol>
        <section class="card share" aria-labelledby="share-title">
          <h2 id="share-title">Share this result</h2>
          <p class="hint">The link holds your answers: whoever opens it sees this same ranking.</p>
          <label for="share-link" class="share-label">
            Link to this result
          </label>
          <div class="share-row">
            <input id="share-link" ref={linkInput} readonly value={link} onFocus={(e) => e.currentTarget.select()} />
            <button type="button" class="button primary" onClick={copy}>
              Copy link
            </button>
          </div>
          <p class="share-more">
            <Show when={canShare}>
              <button type="button" class="button" onClick={share}>
                Share…
              </button>
            </Show>
            <a class="button quiet" href={mail} onClick={() => shared("email")}>
              Email it
            </a>
          </p>
          <p class="share-status" role="status">
            {status()}
          </p>
        </section>
      </div>
    </Show>
  )
}
