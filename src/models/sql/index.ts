/**
 * The model registry: every model declaration, and the sources they read. A model is
 * `<layer>/<name>.sql` plus `<layer>/<name>.ts` (see runner/Model.ts); list the declaration here.
 * test/models/runner/Registry.test.ts checks every `.sql` file has a declaration and the reverse.
 */
import type { ModelDeclaration } from "../runner/Model.ts"
import type { SourceDeclaration } from "../runner/Source.ts"
import intEventsSessionized from "./intermediate/int_events_sessionized.ts"
import intExperimentExposures from "./intermediate/int_experiment_exposures.ts"
import intFunnelAttempts from "./intermediate/int_funnel_attempts.ts"
import intFunnelSteps from "./intermediate/int_funnel_steps.ts"
import intOrderTouches from "./intermediate/int_order_touches.ts"
import intOrders from "./intermediate/int_orders.ts"
import intSessions from "./intermediate/int_sessions.ts"
import intUserDays from "./intermediate/int_user_days.ts"
import intUserDeviceDays from "./intermediate/int_user_device_days.ts"
import intUserJourneys from "./intermediate/int_user_journeys.ts"
import intUserProducts from "./intermediate/int_user_products.ts"
import dimDate from "./marts/dim_date.ts"
import dimProducts from "./marts/dim_products.ts"
import dimUsers from "./marts/dim_users.ts"
import fctDailyActivity from "./marts/fct_daily_activity.ts"
import fctDailyEngagement from "./marts/fct_daily_engagement.ts"
import fctEvents from "./marts/fct_events.ts"
import fctExperimentResults from "./marts/fct_experiment_results.ts"
import fctFunnel from "./marts/fct_funnel.ts"
import fctRetention from "./marts/fct_retention.ts"
import fctRetentionLift from "./marts/fct_retention_lift.ts"
import fctRevenue from "./marts/fct_revenue.ts"
import fctSearchFunnel from "./marts/fct_search_funnel.ts"
import martCampaignAttribution from "./marts/mart_campaign_attribution.ts"
import martUserSegments from "./marts/mart_user_segments.ts"
import { sources } from "./sources.ts"
import stgEvents from "./staging/stg_events.ts"
import stgEventsDeduplicated from "./staging/stg_events_deduplicated.ts"
import stgIdentities from "./staging/stg_identities.ts"
import stgSessions from "./staging/stg_sessions.ts"

export const modelDeclarations: ReadonlyArray<ModelDeclaration> = [
  stgIdentities,
  stgEventsDeduplicated,
  stgEvents,
  stgSessions,
  intEventsSessionized,
  intSessions,
  intUserDays,
  intUserDeviceDays,
  intUserJourneys,
  intUserProducts,
  intFunnelSteps,
  intFunnelAttempts,
  intExperimentExposures,
  intOrders,
  intOrderTouches,
  dimUsers,
  dimDate,
  dimProducts,
  fctEvents,
  fctDailyActivity,
  fctDailyEngagement,
  fctFunnel,
  fctRetention,
  fctRetentionLift,
  fctExperimentResults,
  fctRevenue,
  martUserSegments,
  martCampaignAttribution,
  fctSearchFunnel
]

export const sourceDeclarations: ReadonlyArray<SourceDeclaration> = sources

/** Where the `<layer>/<name>.sql` files live. */
export const modelsDirectory: string = import.meta.dirname
