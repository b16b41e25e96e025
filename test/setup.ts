/**
 * Property-test defaults for every test file. Arbitraries derived from the domain Schemas generate raw
 * values and discard those a check refuses (lone surrogates, empty map keys, …): about 1.6 discards per
 * event, so a property over arrays of a dozen events discards ~5 per run. Effect's built-in limit,
 * max(100, 10 × runs), then exhausts now and then on the small-run properties (15 runs hit 151 discards
 * in CI); this limit still stops a generator that can no longer produce values.
 */
import { Arbitrary } from "effect"

Arbitrary.configureGlobal({ check: { maxDiscards: 10_000 } })
