/**
 * A deliberately small User-Agent parser (no dependency): the form factor, the OS with its version and
 * the browser with its major version, for the common browsers. It fills only what the SDK did not send
 * (see `fillContextFromUserAgent`), so an SDK that knows better always wins.
 */
export interface ParsedUserAgent {
  readonly device_type: "desktop" | "mobile" | "tablet"
  readonly os: string | undefined
  readonly browser: string | undefined
}

const version = (raw: string | undefined): string => (raw ?? "").replaceAll("_", ".")

const windowsVersions: Readonly<Record<string, string>> = {
  "10.0": "10",
  "6.3": "8.1",
  "6.2": "8",
  "6.1": "7"
}

const parseOs = (ua: string): string | undefined => {
  let m = /(?:iPhone|iPad|iPod).*?OS (\d+(?:_\d+)*)/.exec(ua)
  if (m !== null) return `iOS ${version(m[1])}`
  m = /Android (\d+(?:\.\d+)*)/.exec(ua)
  if (m !== null) return `Android ${m[1]}`
  m = /Windows NT (\d+\.\d+)/.exec(ua)
  if (m !== null) return `Windows ${windowsVersions[m[1] ?? ""] ?? m[1]}`
  m = /Mac OS X (\d+(?:[._]\d+)*)/.exec(ua)
  if (m !== null) return `macOS ${version(m[1])}`
  if (ua.includes("CrOS")) return "ChromeOS"
  if (ua.includes("Linux")) return "Linux"
  return undefined
}

/** Order matters: Edge and Opera also say Chrome, Chrome also says Safari. */
const browsers: ReadonlyArray<readonly [RegExp, string]> = [
  [/Edg(?:e|A|iOS)?\/(\d+)/, "Edge"],
  [/OPR\/(\d+)/, "Opera"],
  [/SamsungBrowser\/(\d+)/, "Samsung Internet"],
  [/(?:Firefox|FxiOS)\/(\d+)/, "Firefox"],
  [/(?:Chrome|CriOS)\/(\d+)/, "Chrome"],
  [/Version\/(\d+)(?:\.\d+)*.*Safari\//, "Safari"]
]

const parseBrowser = (ua: string): string | undefined => {
  for (const [pattern, name] of browsers) {
    const m = pattern.exec(ua)
    if (m !== null) return `${name} ${m[1]}`
  }
  return undefined
}

const parseDevice = (ua: string): ParsedUserAgent["device_type"] => {
  if (/iPad|Tablet|PlayBook|Silk|Kindle/.test(ua) || (ua.includes("Android") && !ua.includes("Mobile"))) {
    return "tablet"
  }
  if (/Mobi|iPhone|iPod|Windows Phone|BlackBerry/.test(ua)) return "mobile"
  return "desktop"
}

/** Undefined for anything that is not recognisably a browser (curl, server SDKs, bots): no guessing. */
export const parseUserAgent = (ua: string): ParsedUserAgent | undefined => {
  // Real User-Agents are short; a huge header is not worth running regexes over.
  if (ua.length === 0 || ua.length > 1024 || !ua.startsWith("Mozilla/")) return undefined
  const os = parseOs(ua)
  const browser = parseBrowser(ua)
  if (os === undefined && browser === undefined) return undefined
  return { device_type: parseDevice(ua), os, browser }
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * Fills `context.device_type`, `context.os` and `context.browser` from the User-Agent where the event
 * lacks them, BEFORE decoding (device_type is required, so a beacon from a plain browser would
 * otherwise be refused). Only an existing `context` object is filled: an event without `context` is
 * malformed and stays a `missing_field` reject. Returns a copy; the input (kept as the dead-letter
 * `raw`) is never changed.
 */
export const fillContextFromUserAgent = (event: unknown, ua: ParsedUserAgent | undefined): unknown => {
  if (ua === undefined || !isRecord(event)) return event
  const context = event.context
  if (!isRecord(context)) return event
  const needsDevice = context.device_type === undefined
  const needsOs = context.os === undefined && ua.os !== undefined
  const needsBrowser = context.browser === undefined && ua.browser !== undefined
  if (!needsDevice && !needsOs && !needsBrowser) return event
  const filled: Record<string, unknown> = { ...context }
  if (needsDevice) filled.device_type = ua.device_type
  if (needsOs) filled.os = ua.os
  if (needsBrowser) filled.browser = ua.browser
  return { ...event, context: filled }
}
