/**
 * The `schema_version` the SDK sends for each event type. The type is derived from the catalog, so a new
 * event type, or a version bump in `src/domain/Catalog.ts`, fails to compile until this table follows;
 * the catalog itself (Effect Schema) stays out of the browser bundle.
 */
import type { EventType, SchemaVersionOf } from "../domain/SdkTypes.ts"

export const SCHEMA_VERSIONS: { readonly [T in EventType]: SchemaVersionOf<T> } = {
  quiz_started: 1,
  quiz_step_viewed: 1,
  slider_adjusted: 1,
  option_selected: 1,
  quiz_step_completed: 1,
  quiz_completed: 1,
  quiz_abandoned: 1,
  result_viewed: 1,
  result_shared: 1,
  recommendation_clicked: 1,
  page_view: 1,
  signup: 1,
  login: 1,
  identify: 1,
  product_viewed: 1,
  add_to_cart: 1,
  remove_from_cart: 1,
  checkout_started: 1,
  purchase: 1,
  search_performed: 1,
  search_result_clicked: 1,
  booking_completed: 1,
  experiment_exposure: 1
}
