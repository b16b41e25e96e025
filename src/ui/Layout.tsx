/** The frame of every page: header with the app's two pages, main landmark, footer. */
import { A, type RouteSectionProps, useLocation } from "@solidjs/router"
import { Show } from "solid-js"

export const Layout = (props: RouteSectionProps) => {
  const location = useLocation()
  const onDashboard = () => location.pathname.startsWith("/dashboard")
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="site-header">
        <div class="wrap site-header-inner" classList={{ wide: onDashboard() }}>
          <A href="/" class="brand" end>
            <svg aria-hidden="true" viewBox="0 0 32 32" width="28" height="28">
              <rect width="32" height="32" rx="7" fill="currentColor" />
              <path d="M16 5c4.5 3.2 6.6 7.7 6 13l-3.2 3.2h-5.6L10 18c-.6-5.3 1.5-9.8 6-13z" fill="#fff" />
              <path d="M13 23h6l-3 4z" fill="#f2a541" />
            </svg>
            <span>Launchpad</span>
          </A>
          <nav class="site-nav" aria-label="Pages">
            <A href="/" end>
              Stack finder
            </A>
            <A href="/dashboard">Dashboard</A>
          </nav>
        </div>
      </header>
      <main id="main" tabindex="-1">
        {props.children}
      </main>
      <footer class="site-footer">
        <div class="wrap" classList={{ wide: onDashboard() }}>
          <Show
            when={onDashboard()}
            fallback={
              <p>
                Launchpad measures this page with its own SDK: every step you take is an event in its pipeline. Tool
                costs are rough estimates for ranking, not quotes.
              </p>
            }
          >
            <p>
              The dashboard reads the warehouse's query API (documented at <a href="/docs">/docs</a>); times are UTC.
            </p>
          </Show>
        </div>
      </footer>
    </>
  )
}
