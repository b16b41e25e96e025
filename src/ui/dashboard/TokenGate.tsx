/**
 * Asks for the API token when the server wants one (LAUNCHPAD_API_TOKEN is set and a request got 401),
 * once per browser session, and says plainly when the token given was refused.
 */
import { createSignal, Match, Show, Switch } from "solid-js"
import { currentToken, forgetToken, setToken, tokenState } from "./api/token.ts"

export const TokenGate = () => {
  const [draft, setDraft] = createSignal("")
  let input: HTMLInputElement | undefined
  const submit = (event: SubmitEvent) => {
    event.preventDefault()
    const token = draft().trim()
    if (token === "") {
      input?.focus()
      return
    }
    setToken(token)
    setDraft("")
  }
  return (
    <Show
      when={tokenState() !== "unknown"}
      fallback={
        <Show when={currentToken() !== null}>
          <p class="token-note hint">
            Using the API token of this browser session.{" "}
            <button type="button" class="link-button" onClick={() => forgetToken()}>
              Forget it
            </button>
          </p>
        </Show>
      }
    >
      <form class="card token-gate" onSubmit={submit} aria-labelledby="token-title" data-testid="token-gate">
        <h2 id="token-title">API token needed</h2>
        <Switch>
          <Match when={tokenState() === "needed"}>
            <p>
              This Launchpad keeps its data behind a token (<code>LAUNCHPAD_API_TOKEN</code> on the server). Enter it
              once; this browser tab keeps it until you close it.
            </p>
          </Match>
          <Match when={tokenState() === "refused"}>
            <p class="token-refused" role="alert">
              That token was refused (401): it is not the server's <code>LAUNCHPAD_API_TOKEN</code>. Check it and enter
              it again.
            </p>
          </Match>
        </Switch>
        <div class="token-row">
          <label for="api-token">API token</label>
          <input
            id="api-token"
            ref={input}
            type="password"
            autocomplete="off"
            value={draft()}
            onInput={(event) => setDraft(event.currentTarget.value)}
          />
          <button type="submit" class="button primary">
            Use token
          </button>
        </div>
      </form>
    </Show>
  )
}
