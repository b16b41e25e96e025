/**
 * Source freshness, as dbt computes it: the newest value of the source's `loadedAtField` over its live
 * files, its age at the check, and a status against the source's thresholds (`pass` below `warnAfterMs`,
 * `warn` below `errorAfterMs`, `error` beyond). A source with no rows yet is `warn` (a new install is not
 * an outage); one that cannot be read is `error`.
 */
import { Effect } from "effect"
import { type LakeReaderShape, relationSql } from "../../lake/LakeReader.ts"
import type { DuckDbClientShape } from "../../sql/DuckDbClient.ts"
import { quoteIdentifier } from "../../sql/DuckDbCompiler.ts"
import type { FreshnessResult } from "./Results.ts"
import { type SourceDeclaration, sourceId } from "./Source.ts"

const minutes = (ms: number) => `${(ms / 60_000).toFixed(1)} min`

export const checkFreshness = (
  duck: DuckDbClientShape,
  reader: LakeReaderShape,
  source: SourceDeclaration,
  runId: string,
  checkedAtMs: number
): Effect.Effect<FreshnessResult> => {
  const base = {
    runId,
    source: sourceId(source),
    loadedAtField: source.loadedAtField,
    checkedAt: new Date(checkedAtMs),
    warnAfterMs: source.freshness.warnAfterMs,
    errorAfterMs: source.freshness.errorAfterMs
  }
  return reader
    .withFiles(source.table, (files) =>
      duck.unsafe<{ readonly newest: Date | null }>(
        `SELECT max(${quoteIdentifier(source.loadedAtField)}) AS newest FROM ${relationSql(source.table, files)}`
      )
    )
    .pipe(
      Effect.map(([row]): FreshnessResult => {
        const newest = row?.newest ?? null
        if (newest === null) {
          return { ...base, maxLoadedAt: null, ageMs: null, status: "warn", message: "the source has no rows yet" }
        }
        const ageMs = checkedAtMs - newest.getTime()
        const status =
          ageMs > source.freshness.errorAfterMs ? "error" : ageMs > source.freshness.warnAfterMs ? "warn" : "pass"
        const message =
          status === "pass"
            ? null
            : `newest ${source.loadedAtField} is ${minutes(ageMs)} old (${status} after ${minutes(
                status === "error" ? source.freshness.errorAfterMs : source.freshness.warnAfterMs
              )})`
        return { ...base, maxLoadedAt: newest, ageMs, status, message }
      }),
      Effect.catch((error) =>
        Effect.succeed<FreshnessResult>({
          ...base,
          maxLoadedAt: null,
          ageMs: null,
          status: "error",
          message: `cannot read ${sourceId(source)}: ${error.message}`
        })
      )
    )
}
