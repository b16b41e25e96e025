/**
 * How deep JSON input may nest, checked on the text before anything parses or walks it.
 *
 * A valid event nests at most 7 levels (envelope → properties → a free-form map 4 levels deep, or
 * purchase items), a batch adds 2. Past `MAX_JSON_DEPTH` the input is refused unparsed: recursive code
 * downstream (`JSON.stringify` of a dead letter, schema walkers, loggers) would overflow the stack on a
 * few kilobytes of `[[[…]]]`, and V8's own `JSON.parse` spends ~0.6 s on a 2 MB body nested a million
 * deep. Ingest bodies, `events_raw` records read by the stream and dead letters being replayed all go
 * through this check.
 */

export const MAX_JSON_DEPTH = 32

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_ARRAY = 0x5b
const OPEN_OBJECT = 0x7b
const CLOSE_ARRAY = 0x5d
const CLOSE_OBJECT = 0x7d

/**
 * True when `bytes` (UTF-8 JSON) opens more than `max` arrays or objects inside each other. Brackets
 * inside strings do not count; the text need not be valid JSON (the parser judges that). A plain loop
 * over the bytes: ~0.3 µs per event of a 100-event batch (29 µs for 44 KB), against ~20 µs of API CPU
 * per event.
 */
export const jsonDepthExceeds = (bytes: Uint8Array, max: number = MAX_JSON_DEPTH): boolean => {
  let depth = 0
  const n = bytes.length
  for (let i = 0; i < n; i++) {
    const c = bytes[i]
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const d = bytes[i]
        if (d === BACKSLASH) i++
        else if (d === QUOTE) break
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--
    }
  }
  return false
}

export const tooDeepMessage = (max: number = MAX_JSON_DEPTH): string =>
  `the JSON nests deeper than ${max} levels of arrays and objects`
