{#
  The product's funnels (var funnels, from src/domain/Funnels.ts) as rows: one per (funnel, 1-based
  step_index, event_type). A CTE `funnel_steps` for a WITH list; the calling model declares var funnels.
#}
funnel_steps AS (
  SELECT
    f.funnel,
    unnest(range(1, len(f.steps) + 1)) AS step_index,
    unnest(f.steps) AS event_type
  FROM (SELECT unnest({{ var('funnels') }}) AS f)
)
