/**
 * The model registry: every model declaration, and the sources they read. A model is
 * `<layer>/<name>.sql` plus `<layer>/<name>.ts` (see runner/Model.ts); list the declaration here.
 * test/models/runner/Registry.test.ts checks every `.sql` file has a declaration and the reverse.
 */
import type { ModelDeclaration } from "../runner/Model.ts"
import type { SourceDeclaration } from "../runner/Source.ts"
import intUserDays from "./intermediate/int_user_days.ts"
import fctDailyActivity from "./marts/fct_daily_activity.ts"
import { sources } from "./sources.ts"
import stgEvents from "./staging/stg_events.ts"

export const modelDeclarations: ReadonlyArray<ModelDeclaration> = [stgEvents, intUserDays, fctDailyActivity]

export const sourceDeclarations: ReadonlyArray<SourceDeclaration> = sources

/** Where the `<layer>/<name>.sql` files live. */
export const modelsDirectory: string = import.meta.dirname
