/**
 * Deterministic experiment assignment: the same user and experiment always land in the same variant, on
 * any device or server that hashes the same way, with no assignment service.
 */

/**
 * 32-bit FNV-1a of a string's UTF-16 code units, finished with murmur3's avalanche step: FNV's low bits
 * alone follow the parity of the input (`user-1`, `user-2`, … would alternate between two variants).
 */
export const hash32 = (text: string): number => {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  return (hash ^ (hash >>> 16)) >>> 0
}

/** The variant of `unit` (the user) in `experiment`: equal shares, by hash of `experiment:unit`. */
export const assignVariant = <V extends string>(experiment: string, unit: string, variants: readonly [V, ...V[]]): V =>
  variants[hash32(`${experiment}:${unit}`) % variants.length] ?? variants[0]
