/**
 * Query-string parameters of the read API. Numbers are decimal digits only: `Number()` would also
 * take `0x10`, `1e3`, `" 5"` and `""`, so a typo or a probe would silently mean something else.
 */
import { Schema, SchemaTransformation } from "effect"

/** A parameter holding an integer in [minimum, maximum], written as plain decimal digits. */
export const DecimalInt = (name: string, minimum: number, maximum: number) => {
  const message = `${name} must be a decimal integer between ${minimum} and ${maximum}`
  return Schema.String.check(Schema.isPattern(/^[0-9]{1,15}$/, { message }))
    .pipe(
      Schema.decodeTo(
        Schema.Number.check(Schema.isInt({ message }), Schema.isBetween({ minimum, maximum }, { message })),
        SchemaTransformation.numberFromString
      )
    )
    .annotate({ description: `${minimum} … ${maximum}, decimal digits` })
}
