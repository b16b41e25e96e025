/**
 * The public API's JSON is snake_case; TypeScript code is camelCase. `snakeCaseKeys` gives a struct
 * Schema snake_case keys in its encoded (wire and stored) form and leaves its decoded type as it is, so
 * one definition serves the code, the HTTP API, its typed client and the OpenAPI document.
 */
import { Schema } from "effect"

/** `durationMs` → `duration_ms` at the type level. */
export type Snake<S extends string> = S extends `${infer H}${infer T}`
  ? `${H extends Lowercase<H> ? H : `_${Lowercase<H>}`}${Snake<T>}`
  : S

/** `durationMs` → `duration_ms`. */
export const snake = <S extends string>(name: S): Snake<S> =>
  name.replace(/[A-Z]/g, (upper) => `_${upper.toLowerCase()}`) as Snake<S>

type SnakeMapping<F extends Schema.Struct.Fields> = { readonly [K in keyof F]: K extends string ? Snake<K> : K }

/** The struct with every key snake_case when encoded (decoded keys unchanged). */
export const snakeCaseKeys = <F extends Schema.Struct.Fields>(struct: Schema.Struct<F>) => {
  const mapping = Object.fromEntries(Object.keys(struct.fields).map((key) => [key, snake(key)])) as SnakeMapping<F>
  return struct.pipe(Schema.encodeKeys(mapping))
}
