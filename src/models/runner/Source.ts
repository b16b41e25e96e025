/**
 * Sources: the lake tables models read through `{{ source('lake', 'events' | 'sessions') }}`. A source
 * resolves at run time to the table's live files (LakeReader, atomic with compaction and retention), and
 * has a freshness rule: the age of its newest `loadedAtField` value against `warnAfterMs` / `errorAfterMs`.
 */
import type { LakeTable } from "../../lake/LakeTable.ts"

export interface Freshness {
  readonly warnAfterMs: number
  readonly errorAfterMs: number
}

export interface SourceDeclaration {
  /** The source group, `lake`: `source('lake', name)`. */
  readonly source: string
  readonly name: string
  readonly table: LakeTable
  readonly description: string
  /** The time column whose newest value says how fresh the source is. */
  readonly loadedAtField: string
  readonly freshness: Freshness
}

/** `lake.events` */
export const sourceId = (source: { readonly source: string; readonly name: string }): string =>
  `${source.source}.${source.name}`
