/**
 * The read token (LAUNCHPAD_API_TOKEN) for this browser tab: asked for once when the server answers
 * 401, kept in sessionStorage (gone when the tab closes), sent as a bearer token on every request.
 */
import { createSignal } from "solid-js"

const KEY = "lp_dashboard_token"

const storage = (): Storage | undefined => {
  try {
    return sessionStorage
  } catch {
    return undefined
  }
}

/** `needed`: the server wants a token and none was given; `refused`: the one given was wrong. */
export type TokenState = "unknown" | "needed" | "refused"

const [state, setState] = createSignal<TokenState>("unknown")
/** Bumped whenever the token changes: every request that waits on it re-runs. */
const [version, setVersion] = createSignal(0)

export const tokenState = state
export const tokenVersion = version

export const currentToken = (): string | null => storage()?.getItem(KEY) ?? null

/** A request was refused with 401 while sending `sent` (null: no token). */
export const refused = (sent: string | null): void => {
  // A later token may already be in place; only the token that was refused is known to be wrong.
  if (sent !== currentToken()) return
  setState(sent === null ? "needed" : "refused")
}

export const setToken = (token: string): void => {
  storage()?.setItem(KEY, token)
  setState("unknown")
  setVersion(version() + 1)
}

export const forgetToken = (): void => {
  storage()?.removeItem(KEY)
  setState("unknown")
  setVersion(version() + 1)
}
