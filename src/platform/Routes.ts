/**
 * Routes as the servers match them and metrics label them. One canonical form per route: paths are
 * case-sensitive and a trailing slash is a different path (`/api/v1/Events` and `/api/v1/events/` are
 * 404s), so every request to a route takes the same server path and gets the same label. Labels are
 * the route templates the API definitions declare (`/api/v1/reports/:name`), never raw paths, so their
 * set stays bounded.
 */
import type { FindMyWay } from "effect/http"
import { HttpApi, type HttpApiGroup } from "effect/http-api"

/** For `HttpRouter.serve`: Effect's router otherwise ignores case and trailing slashes. */
export const routerConfig: Partial<FindMyWay.RouterConfig> = {
  caseSensitive: true,
  ignoreTrailingSlash: false,
  ignoreDuplicateSlashes: false
}

/** Every endpoint path an `HttpApi` declares. */
export const apiPaths = <Id extends string, Groups extends HttpApiGroup.Constraint>(
  api: HttpApi.HttpApi<Id, Groups>
): ReadonlyArray<string> => {
  const paths: Array<string> = []
  HttpApi.reflect(api, { onGroup: () => undefined, onEndpoint: ({ endpoint }) => paths.push(endpoint.path) })
  return [...new Set(paths)]
}

/** The label of anything that is not a known route. */
export const OTHER_ROUTE = "other"

/** Maps a request URL to the template of the route it matches (`:param` segments match any one segment). */
export const routeLabeller = (templates: ReadonlyArray<string>) => {
  const exact = new Set(templates.filter((t) => !t.includes(":")))
  const patterns = templates.filter((t) => t.includes(":")).map((t) => ({ template: t, segments: t.split("/") }))
  return (url: string): string => {
    const q = url.indexOf("?")
    const path = q === -1 ? url : url.slice(0, q)
    if (exact.has(path)) return path
    const segments = path.split("/")
    for (const pattern of patterns) {
      if (
        pattern.segments.length === segments.length &&
        pattern.segments.every((s, i) => s.startsWith(":") || s === segments[i])
      ) {
        return pattern.template
      }
    }
    return OTHER_ROUTE
  }
}
