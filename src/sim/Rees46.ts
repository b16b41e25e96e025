/**
 * Replay of the REES46 "eCommerce behavior data from multi category store" files (Kaggle, REES46
 * Marketing Platform / Open CDP): each CSV row becomes one catalog event, as a shop's SDK would have
 * sent it. What the mapping keeps and what it has to make up:
 *
 * | REES46                 | Launchpad event                                                               |
 * | ---------------------- | ----------------------------------------------------------------------------- |
 * | `view`                 | `product_viewed` {product_id, category, price, currency}                     |
 * | `cart`                 | `add_to_cart` {cart_id, product_id, quantity 1, unit_price, currency}        |
 * | `remove_from_cart`     | `remove_from_cart` {cart_id, product_id, quantity 1}                         |
 * | `purchase`             | `purchase` {order_id, revenue = price, currency, items [1 × product at price]} |
 * | `event_time` (UTC)     | `occurred_at`, unchanged (2019 is inside the accepted 2000–2100 range); no `sent_at`, so ingest's skew correction leaves it as it is |
 * | `user_id`              | `user_id` = `rees46-<user_id>` (REES46 users are known customers: no identify) |
 * | `user_session`         | `session_id`                                                                  |
 * | `category_code`        | `category`; `category-<category_id>` when the code is empty                  |
 *
 * Made up, because REES46 does not record it: `event_id` (a UUID derived from the source name and the
 * line, so a replay is idempotent and duplicate rows stay distinct events); `order_id`
 * (`<source>:<line>`: REES46 has no order id, so every purchase row is an order of one unit); the cart
 * id (`cart-<user_session>`); the currency (`USD`: the dataset's prices are in US dollars); the device
 * (`desktop`: the schema requires one and REES46 has none, so device breakdowns of this data mean
 * nothing); the page path (`/product/<product_id>`). `brand` has no catalog property and is dropped.
 */
import { createHash } from "node:crypto"
import { Result, Schema } from "effect"
import type { TrackEvent } from "../domain/Catalog.ts"
import type { EventContext } from "../domain/SdkTypes.ts"

export const REES46_COLUMNS = [
  "event_time",
  "event_type",
  "product_id",
  "category_id",
  "category_code",
  "brand",
  "price",
  "user_id",
  "user_session"
] as const

const Digits = Schema.String.check(Schema.isPattern(/^[0-9]{1,20}$/, { message: "expected digits" }))

/** One CSV row as REES46 publishes it. */
export const Rees46Row = Schema.Struct({
  event_time: Schema.String.check(
    Schema.isPattern(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/, { message: "expected YYYY-MM-DD hh:mm:ss UTC" })
  ),
  event_type: Schema.Literals(["view", "cart", "remove_from_cart", "purchase"]),
  product_id: Digits,
  category_id: Digits,
  category_code: Schema.String,
  brand: Schema.String,
  price: Schema.String.check(Schema.isPattern(/^[0-9]{1,12}(\.[0-9]{1,6})?$/, { message: "expected a price" })),
  user_id: Digits,
  user_session: Schema.String
})
export type Rees46Row = typeof Rees46Row.Type

/** A row that is not REES46's format, with its 1-based line in the file. */
export class Rees46Error extends Schema.TaggedError<Rees46Error>()("Rees46Error", {
  line: Schema.Number,
  message: Schema.String
}) {}

export interface Rees46Record {
  readonly line: number
  readonly row: Rees46Row
}

const decodeRow = Schema.decodeUnknownResult(Rees46Row)

/** The rows of a REES46 CSV file (header included, no quoted fields: REES46 has none), checked one by one. */
export const parseRees46Csv = (text: string): Result.Result<ReadonlyArray<Rees46Record>, Rees46Error> => {
  const lines = text.split("\n")
  if (lines[0]?.trim() !== REES46_COLUMNS.join(",")) {
    return Result.fail(new Rees46Error({ line: 1, message: `expected the header ${REES46_COLUMNS.join(",")}` }))
  }
  const records: Array<Rees46Record> = []
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i]?.trimEnd() ?? ""
    if (text === "") continue
    const fields = text.split(",")
    if (fields.length !== REES46_COLUMNS.length) {
      return Result.fail(
        new Rees46Error({ line: i + 1, message: `expected ${REES46_COLUMNS.length} fields, found ${fields.length}` })
      )
    }
    const decoded = decodeRow(Object.fromEntries(REES46_COLUMNS.map((name, k) => [name, fields[k]])))
    if (Result.isFailure(decoded))
      return Result.fail(new Rees46Error({ line: i + 1, message: decoded.failure.message }))
    records.push({ line: i + 1, row: decoded.success })
  }
  return Result.succeed(records)
}

/** A version-4-shaped UUID derived from `key` (SHA-256), so replays give the same ids. */
const uuidOf = (key: string): string => {
  const hex = createHash("sha256").update(key).digest("hex").slice(0, 32).split("")
  hex[12] = "4"
  hex[16] = ((Number.parseInt(hex[16] ?? "0", 16) & 0x3) | 0x8).toString(16)
  const h = hex.join("")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

export const REES46_CURRENCY = "USD"
export const REES46_USER_PREFIX = "rees46-"

/** The catalog event of one row; `source` names the file, so ids of different files never collide. */
export const rees46Event = (source: string, record: Rees46Record): TrackEvent => {
  const { row, line } = record
  const price = Number(row.price)
  const context: EventContext = { device_type: "desktop", page_path: `/product/${row.product_id}` }
  const envelope = {
    event_id: uuidOf(`rees46:${source}:${line}`),
    schema_version: 1 as const,
    user_id: `${REES46_USER_PREFIX}${row.user_id}`,
    session_id: row.user_session === "" ? `${REES46_USER_PREFIX}${row.user_id}-nosession` : row.user_session,
    occurred_at: `${row.event_time.slice(0, 10)}T${row.event_time.slice(11, 19)}.000Z`,
    context
  }
  const cart_id = `cart-${envelope.session_id}`
  switch (row.event_type) {
    case "view":
      return {
        ...envelope,
        event_type: "product_viewed",
        properties: {
          product_id: row.product_id,
          category: row.category_code === "" ? `category-${row.category_id}` : row.category_code,
          price,
          currency: REES46_CURRENCY
        }
      }
    case "cart":
      return {
        ...envelope,
        event_type: "add_to_cart",
        properties: { cart_id, product_id: row.product_id, quantity: 1, unit_price: price, currency: REES46_CURRENCY }
      }
    case "remove_from_cart":
      return {
        ...envelope,
        event_type: "remove_from_cart",
        properties: { cart_id, product_id: row.product_id, quantity: 1 }
      }
    case "purchase":
      return {
        ...envelope,
        event_type: "purchase",
        properties: {
          order_id: `${source}:${line}`,
          revenue: price,
          currency: REES46_CURRENCY,
          items: [{ product_id: row.product_id, quantity: 1, unit_price: price }]
        }
      }
  }
}
