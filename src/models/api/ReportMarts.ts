/**
 * The marts each report reads, for the exports a reader of a report is offered
 * (`GET /api/v1/export/<mart>.csv|.parquet`). test/models/reportMarts.test.ts checks every one is a
 * mart of the model project.
 */
import type { REPORTS } from "./Reports.ts"

export const REPORT_MARTS: Readonly<Record<(typeof REPORTS)[number], ReadonlyArray<string>>> = {
  engagement: ["fct_daily_engagement"],
  funnel: ["fct_funnel"],
  retention: ["fct_retention", "fct_retention_lift"],
  experiments: ["fct_experiment_results"],
  revenue: ["fct_revenue"],
  segments: ["mart_user_segments"],
  attribution: ["mart_campaign_attribution"],
  search: ["fct_search_funnel"]
}
