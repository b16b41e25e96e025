/**
 * How JS values become DuckDB parameters and DuckDB values become JS, for the `effect/sql` driver
 * (DuckDbClient.ts). One rule per type, the same in every statement, row and stream:
 *
 * | DuckDB                                  | out (rows)                                   | in (parameters)                          |
 * | --------------------------------------- | -------------------------------------------- | ---------------------------------------- |
 * | NULL                                    | `null`                                       | `null`, `undefined`                      |
 * | VARCHAR, JSON, ENUM, UUID               | `string` (JSON text is not parsed)           | `string` → VARCHAR (UTF-8: a lone surrogate is stored as U+FFFD) |
 * | BOOLEAN                                 | `boolean`                                    | `boolean`                                |
 * | TINYINT … INTEGER, FLOAT, DOUBLE        | `number`                                     | integer `number` → INTEGER (BIGINT past 32 bits), other `number` → DOUBLE |
 * | BIGINT, HUGEINT, UBIGINT, UHUGEINT      | `number`; a value past ±(2^53 − 1) fails with a SqlError naming the column. With `SqlClient.SafeIntegers` provided (`true`): always `bigint` | `bigint` → BIGINT (HUGEINT past 64 bits), or `number` |
 * | DECIMAL(w, s)                           | `number` (the nearest double; cast to VARCHAR in SQL for every digit) | `number` or `string` with a cast (`$1::DECIMAL(18, 2)`), or a `DuckDBDecimalValue` |
 * | DATE                                    | `Date` at 00:00 UTC of the day               | `Date` (→ TIMESTAMPTZ; `$1::DATE` is its UTC day) or `'YYYY-MM-DD'` |
 * | TIMESTAMP                               | `Date` (the wall time read as UTC)           | `Date` (→ TIMESTAMPTZ; cast to TIMESTAMP gives UTC wall time) |
 * | TIMESTAMPTZ                             | `Date` (the instant; microseconds truncated to ms) | `Date` → TIMESTAMPTZ                |
 * | TIME, TIME_NS, TIMETZ                   | `string` as DuckDB prints it                 | `string` with a cast                     |
 * | INTERVAL                                | `{ months, days, micros }` (micros by the integer rule) | a `DuckDBIntervalValue`       |
 * | BLOB                                    | `Uint8Array`                                 | `Uint8Array` → BLOB                      |
 * | LIST, ARRAY                             | `Array` of converted items                   | `Array` → LIST of the items' common type (INTEGER ⊂ BIGINT ⊂ HUGEINT ⊂ DOUBLE; an empty list is `NULL[]`, which casts to any list) |
 * | MAP                                     | plain object, keys as strings (as `to_json` renders a map) | `Map` → MAP of the common key and value types |
 * | STRUCT                                  | plain object                                 | plain object → STRUCT                    |
 *
 * Timestamps assume the session time zone the client sets (UTC by default). Any other `DuckDBValue`
 * (the classes of `@duckdb/node-api`) is bound as it is.
 */
import {
  BIGINT,
  BLOB,
  BOOLEAN,
  blobValue,
  bytesFromBitValue,
  bytesFromBlobValue,
  bytesFromGeometryValue,
  createDuckDBValueConverter,
  DOUBLE,
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  type DuckDBDataChunk,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBGeometryValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimeNSValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  type DuckDBType,
  DuckDBTypeId,
  DuckDBUnionValue,
  DuckDBUUIDValue,
  type DuckDBValue,
  type DuckDBValueConverter,
  DuckDBVariantValue,
  dateFromDateValue,
  dateFromTimestampMillisecondsValue,
  dateFromTimestampNanosecondsValue,
  dateFromTimestampSecondsValue,
  dateFromTimestampTZValue,
  dateFromTimestampValue,
  doubleFromDecimalValue,
  fromVariantValue,
  HUGEINT,
  INTEGER,
  LIST,
  listValue,
  MAP,
  mapValue,
  numberFromValue,
  objectFromUnionValue,
  SQLNULL,
  STRUCT,
  structValue,
  TIMESTAMPTZ,
  timestampTZValue,
  VARCHAR
} from "@duckdb/node-api"

/** A parameter that cannot be bound; the message says which and why (never its value). */
export class UnbindableValue extends Error {}

/** A BIGINT-like value outside Number's safe range, read without `SafeIntegers`. */
export class UnsafeInteger extends Error {}

const INT32_MIN = -(2 ** 31)
const INT32_MAX = 2 ** 31 - 1
const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n
const INT128_MIN = -(2n ** 127n)
const INT128_MAX = 2n ** 127n - 1n

const DUCKDB_VALUE_CLASSES = [
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBGeometryValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimeNSValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBUUIDValue,
  DuckDBUnionValue,
  DuckDBVariantValue
]

const isDuckDbValue = (value: object): value is Exclude<DuckDBValue, null | boolean | number | bigint | string> =>
  DUCKDB_VALUE_CLASSES.some((c) => value instanceof c)

const isPlainObject = (value: object): value is Record<string, unknown> => {
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

const NUMERIC_RANK: Partial<Record<DuckDBTypeId, number>> = {
  [DuckDBTypeId.INTEGER]: 0,
  [DuckDBTypeId.BIGINT]: 1,
  [DuckDBTypeId.HUGEINT]: 2,
  [DuckDBTypeId.DOUBLE]: 3
}

const bigintType = (value: bigint, where: string): DuckDBType => {
  if (value >= INT64_MIN && value <= INT64_MAX) return BIGINT
  if (value >= INT128_MIN && value <= INT128_MAX) return HUGEINT
  throw new UnbindableValue(`${where}: a bigint wider than 128 bits has no DuckDB integer type`)
}

/** The common type of two inferred types (list items, map keys or values). */
const unify = (a: DuckDBType, b: DuckDBType, where: string): DuckDBType => {
  if (a.typeId === DuckDBTypeId.SQLNULL) return b
  if (b.typeId === DuckDBTypeId.SQLNULL) return a
  const ra = NUMERIC_RANK[a.typeId]
  const rb = NUMERIC_RANK[b.typeId]
  if (ra !== undefined && rb !== undefined) return ra >= rb ? a : b
  if (a.typeId === DuckDBTypeId.LIST && b.typeId === DuckDBTypeId.LIST) {
    return LIST(unify(a.valueType, b.valueType, where))
  }
  if (a.typeId === DuckDBTypeId.MAP && b.typeId === DuckDBTypeId.MAP) {
    return MAP(unify(a.keyType, b.keyType, where), unify(a.valueType, b.valueType, where))
  }
  if (a.typeId === DuckDBTypeId.STRUCT && b.typeId === DuckDBTypeId.STRUCT) {
    const names = [...new Set([...a.entryNames, ...b.entryNames])]
    const entry = (t: typeof a, name: string) => {
      const i = t.entryNames.indexOf(name)
      return i < 0 ? SQLNULL : (t.entryTypes[i] ?? SQLNULL)
    }
    return STRUCT(Object.fromEntries(names.map((n) => [n, unify(entry(a, n), entry(b, n), where)])))
  }
  if (a.toString() === b.toString()) return a
  throw new UnbindableValue(`${where}: mixes ${a.toString()} and ${b.toString()}`)
}

const commonType = (types: ReadonlyArray<DuckDBType>, where: string): DuckDBType =>
  types.reduce<DuckDBType>((acc, t) => unify(acc, t, where), SQLNULL)

const typeOf = (value: unknown, where: string): DuckDBType => {
  if (value === null || value === undefined) return SQLNULL
  switch (typeof value) {
    case "string":
      return VARCHAR
    case "boolean":
      return BOOLEAN
    case "number":
      if (!Number.isInteger(value)) return DOUBLE
      if (value >= INT32_MIN && value <= INT32_MAX) return INTEGER
      return Number.isSafeInteger(value) ? BIGINT : DOUBLE
    case "bigint":
      return bigintType(value, where)
    case "object":
      break
    default:
      throw new UnbindableValue(`${where}: a ${typeof value} cannot be bound`)
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new UnbindableValue(`${where}: an invalid Date`)
    return TIMESTAMPTZ
  }
  if (value instanceof Uint8Array) return BLOB
  if (isDuckDbValue(value)) {
    throw new UnbindableValue(`${where}: DuckDB value objects cannot be nested in JS arrays, maps or objects`)
  }
  if (Array.isArray(value)) {
    return LIST(
      commonType(
        value.map((item, i) => typeOf(item, `${where}[${i}]`)),
        where
      )
    )
  }
  if (value instanceof Map) {
    const keys: Array<DuckDBType> = []
    const values: Array<DuckDBType> = []
    for (const [k, v] of value) {
      keys.push(typeOf(k, `${where} key`))
      values.push(typeOf(v, `${where}.${String(k)}`))
    }
    return MAP(commonType(keys, `${where} keys`), commonType(values, `${where} values`))
  }
  if (isPlainObject(value)) {
    return STRUCT(Object.fromEntries(Object.entries(value).map(([k, v]) => [k, typeOf(v, `${where}.${k}`)])))
  }
  throw new UnbindableValue(`${where}: a ${value.constructor?.name ?? "object"} cannot be bound`)
}

/** The `DuckDBValue` of `value` as a `type` (the inferred common type of its container). */
const build = (value: unknown, type: DuckDBType): DuckDBValue => {
  if (value === null || value === undefined) return null
  switch (type.typeId) {
    case DuckDBTypeId.SQLNULL:
      return null
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.HUGEINT:
      return typeof value === "number" || typeof value === "bigint" ? BigInt(value) : null
    case DuckDBTypeId.DOUBLE:
      return typeof value === "number" || typeof value === "bigint" ? Number(value) : null
    case DuckDBTypeId.TIMESTAMP_TZ:
      return value instanceof Date ? timestampTZValue(BigInt(value.getTime()) * 1000n) : null
    case DuckDBTypeId.BLOB:
      return value instanceof Uint8Array ? blobValue(value) : null
    case DuckDBTypeId.LIST: {
      const itemType = type.valueType
      return Array.isArray(value) ? listValue(value.map((item) => build(item, itemType))) : null
    }
    case DuckDBTypeId.MAP: {
      if (!(value instanceof Map)) return null
      const { keyType, valueType } = type
      return mapValue([...value].map(([k, v]) => ({ key: build(k, keyType), value: build(v, valueType) })))
    }
    case DuckDBTypeId.STRUCT: {
      if (typeof value !== "object") return null
      const entries = Object.fromEntries(Object.entries(value))
      return structValue(
        Object.fromEntries(type.entryNames.map((n, i) => [n, build(entries[n], type.entryTypes[i] ?? SQLNULL)]))
      )
    }
    default:
      return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : null
  }
}

export interface BoundParameters {
  readonly values: Array<DuckDBValue>
  /** Per parameter, its DuckDB type; `undefined` lets the library infer a native value's type. */
  readonly types: Array<DuckDBType | undefined>
}

/** Converts statement parameters for `DuckDBPreparedStatement.bind`; throws `UnbindableValue`. */
export const bindParameters = (params: ReadonlyArray<unknown>): BoundParameters => {
  const values: Array<DuckDBValue> = []
  const types: Array<DuckDBType | undefined> = []
  params.forEach((param, i) => {
    if (typeof param === "object" && param !== null && isDuckDbValue(param)) {
      values.push(param)
      types.push(undefined)
      return
    }
    const where = `parameter $${i + 1}`
    const type = typeOf(param, where)
    values.push(build(param, type))
    types.push(type)
  })
  return { values, types }
}

/** How BIGINT-like values come out: see the table in the module comment. */
export type IntegerMode = "number" | "bigint"

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER)
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

const integerReader = (mode: IntegerMode): ((value: bigint) => number | bigint) =>
  mode === "bigint"
    ? (value) => value
    : (value) => {
        if (value < MIN_SAFE || value > MAX_SAFE) {
          throw new UnsafeInteger("is outside Number's safe integer range")
        }
        return Number(value)
      }

const mapKey = (key: unknown): string =>
  key instanceof Date ? key.toISOString() : typeof key === "object" && key !== null ? JSON.stringify(key) : String(key)

const makeConverter = (mode: IntegerMode): DuckDBValueConverter<unknown> => {
  const integer = integerReader(mode)
  const bigint: DuckDBValueConverter<unknown> = (value) => (typeof value === "bigint" ? integer(value) : null)
  const text: DuckDBValueConverter<unknown> = (value) => (value === null ? null : String(value))
  const list: DuckDBValueConverter<unknown> = (value, type, converter) =>
    value instanceof DuckDBListValue || value instanceof DuckDBArrayValue
      ? value.items.map((item) =>
          type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY
            ? converter(item, type.valueType, converter)
            : null
        )
      : null
  const converters: Record<DuckDBTypeId, DuckDBValueConverter<unknown> | undefined> = {
    [DuckDBTypeId.INVALID]: undefined,
    [DuckDBTypeId.BOOLEAN]: (value) => (typeof value === "boolean" ? value : null),
    [DuckDBTypeId.TINYINT]: numberFromValue,
    [DuckDBTypeId.SMALLINT]: numberFromValue,
    [DuckDBTypeId.INTEGER]: numberFromValue,
    [DuckDBTypeId.BIGINT]: bigint,
    [DuckDBTypeId.UTINYINT]: numberFromValue,
    [DuckDBTypeId.USMALLINT]: numberFromValue,
    [DuckDBTypeId.UINTEGER]: numberFromValue,
    [DuckDBTypeId.UBIGINT]: bigint,
    [DuckDBTypeId.FLOAT]: numberFromValue,
    [DuckDBTypeId.DOUBLE]: numberFromValue,
    [DuckDBTypeId.TIMESTAMP]: dateFromTimestampValue,
    [DuckDBTypeId.DATE]: dateFromDateValue,
    [DuckDBTypeId.TIME]: text,
    [DuckDBTypeId.INTERVAL]: (value) =>
      value instanceof DuckDBIntervalValue
        ? { months: value.months, days: value.days, micros: integer(value.micros) }
        : null,
    [DuckDBTypeId.HUGEINT]: bigint,
    [DuckDBTypeId.UHUGEINT]: bigint,
    [DuckDBTypeId.VARCHAR]: text,
    [DuckDBTypeId.BLOB]: bytesFromBlobValue,
    [DuckDBTypeId.DECIMAL]: doubleFromDecimalValue,
    [DuckDBTypeId.TIMESTAMP_S]: dateFromTimestampSecondsValue,
    [DuckDBTypeId.TIMESTAMP_MS]: dateFromTimestampMillisecondsValue,
    [DuckDBTypeId.TIMESTAMP_NS]: dateFromTimestampNanosecondsValue,
    [DuckDBTypeId.ENUM]: text,
    [DuckDBTypeId.LIST]: list,
    [DuckDBTypeId.STRUCT]: (value, type, converter) =>
      value instanceof DuckDBStructValue && type.typeId === DuckDBTypeId.STRUCT
        ? Object.fromEntries(
            type.entryNames.map((name, i) => {
              const entryType = type.entryTypes[i] ?? SQLNULL
              return [name, converter(value.entries[name] ?? null, entryType, converter)]
            })
          )
        : null,
    [DuckDBTypeId.MAP]: (value, type, converter) =>
      value instanceof DuckDBMapValue && type.typeId === DuckDBTypeId.MAP
        ? Object.fromEntries(
            value.entries.map((entry) => [
              mapKey(converter(entry.key, type.keyType, converter)),
              converter(entry.value, type.valueType, converter)
            ])
          )
        : null,
    [DuckDBTypeId.ARRAY]: list,
    [DuckDBTypeId.UUID]: text,
    [DuckDBTypeId.UNION]: objectFromUnionValue,
    [DuckDBTypeId.BIT]: bytesFromBitValue,
    [DuckDBTypeId.TIME_TZ]: text,
    [DuckDBTypeId.TIMESTAMP_TZ]: dateFromTimestampTZValue,
    [DuckDBTypeId.ANY]: undefined,
    [DuckDBTypeId.BIGNUM]: bigint,
    [DuckDBTypeId.SQLNULL]: () => null,
    [DuckDBTypeId.STRING_LITERAL]: text,
    [DuckDBTypeId.INTEGER_LITERAL]: bigint,
    [DuckDBTypeId.TIME_NS]: text,
    [DuckDBTypeId.GEOMETRY]: bytesFromGeometryValue,
    [DuckDBTypeId.VARIANT]: fromVariantValue
  }
  return createDuckDBValueConverter(converters)
}

const converters: Record<IntegerMode, DuckDBValueConverter<unknown>> = {
  number: makeConverter("number"),
  bigint: makeConverter("bigint")
}

/** A result's columns, as rows (objects keyed by column name) or value arrays. */
export interface ResultShape {
  /** Column names, made unique the way DuckDB does for duplicates (`x`, `x:1`). */
  readonly names: ReadonlyArray<string>
}

/**
 * A chunk's columns converted to JS, column by column (faster than per row: one converter lookup
 * path per vector). An unsafe integer fails naming its column.
 */
export const chunkColumns = (
  chunk: DuckDBDataChunk,
  shape: ResultShape,
  mode: IntegerMode
): ReadonlyArray<ReadonlyArray<unknown>> => {
  const converter = converters[mode]
  return shape.names.map((name, c) => {
    try {
      return chunk.convertColumnValues(c, converter)
    } catch (error) {
      if (error instanceof UnsafeInteger) {
        throw new UnsafeInteger(
          `column "${name}" ${error.message}: cast it to DOUBLE or VARCHAR in SQL, or provide SqlClient.SafeIntegers to read bigint`
        )
      }
      throw error
    }
  })
}

/** Rows as plain objects from converted columns. */
export const columnsToRows = (
  shape: ResultShape,
  columns: ReadonlyArray<ReadonlyArray<unknown>>,
  rowCount: number
): Array<Record<string, unknown>> => {
  const rows: Array<Record<string, unknown>> = new Array(rowCount)
  const { names } = shape
  // A column named `__proto__` must stay a column: assigning it would set the row's prototype.
  const define = names.includes("__proto__")
  for (let r = 0; r < rowCount; r++) {
    const row: Record<string, unknown> = {}
    for (let c = 0; c < names.length; c++) {
      const name = names[c] ?? ""
      const value = columns[c]?.[r] ?? null
      if (define) Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true })
      else row[name] = value
    }
    rows[r] = row
  }
  return rows
}

/** Rows as value arrays (column order) from converted columns. */
export const columnsToArrays = (
  columns: ReadonlyArray<ReadonlyArray<unknown>>,
  rowCount: number
): Array<ReadonlyArray<unknown>> => {
  const rows: Array<ReadonlyArray<unknown>> = new Array(rowCount)
  for (let r = 0; r < rowCount; r++) rows[r] = columns.map((column) => column[r] ?? null)
  return rows
}
