/** Every lake service over one in-memory DuckDB, for the roles and commands that use the lake. */
import { Layer } from "effect"
import { Compaction } from "./Compaction.ts"
import { EventFileWriter } from "./EventFileWriter.ts"
import { LakeEngine } from "./LakeEngine.ts"
import { LakeReader } from "./LakeReader.ts"
import { LakeStats } from "./LakeStats.ts"
import { Retention } from "./Retention.ts"
import { SessionFileWriter } from "./SessionFileWriter.ts"

export const LakeLayer = Layer.mergeAll(
  EventFileWriter.layer,
  SessionFileWriter.layer,
  Compaction.layer,
  Retention.layer,
  LakeStats.layer
).pipe(Layer.provideMerge(LakeReader.layer), Layer.provideMerge(LakeEngine.layer))
