/**
 * The catalogue the configurator recommends from: real analytics tools with the attributes the scoring
 * engine weighs. Costs are rough orders of magnitude from the vendors' public pricing pages and typical
 * server sizes (late 2025), good enough to rank, not quotes; the result page says so.
 */
import type { Feature, UseCase } from "./model.ts"

export interface Tool {
  readonly id: string
  readonly name: string
  readonly url: string
  /** What it is, in a few words (shown under the name). */
  readonly kind: string
  readonly summary: string
  /** `source_available`: code you can read and run, under a licence that is not OSI open source. */
  readonly license: "open_source" | "source_available" | "proprietary"
  /** USD a month to start with each offering: `self` a typical server for it, `cloud` the entry plan. */
  readonly hosting: { readonly self?: number; readonly cloud?: number }
  /** Events a month the entry cost covers. */
  readonly includedEvents: number
  /** Extra USD a month per million events beyond that. */
  readonly perMillionEvents: number
  /** Extra USD a month per person reading the numbers (seat-priced tools). */
  readonly perSeat: number
  /** How well it serves each use case: 0 not at all … 3 built for it. */
  readonly fit: Readonly<Record<UseCase, 0 | 1 | 2 | 3>>
  /** Features it has (self_hosted and open_source follow from `hosting` and `license`). */
  readonly features: ReadonlyArray<Exclude<Feature, "self_hosted" | "open_source">>
  /** Engineers it takes to run it yourself: 0 none (embedded) … 3 a platform team. */
  readonly ops: 0 | 1 | 2 | 3
  /** Events a month it handles comfortably. */
  readonly maxEventsPerMonth: number
}

const M = 1_000_000
const B = 1_000_000_000

export const TOOLS: ReadonlyArray<Tool> = [
  {
    id: "posthog",
    name: "PostHog",
    url: "https://posthog.com",
    kind: "Product analytics suite",
    summary: "Product analytics, session replay, feature flags and experiments in one open-source platform.",
    license: "open_source",
    hosting: { self: 100, cloud: 0 },
    includedEvents: M,
    perMillionEvents: 50,
    perSeat: 0,
    fit: { product: 3, web: 2, bi: 1, pipeline: 1 },
    features: ["sql_access", "realtime", "experiments", "session_replay", "privacy"],
    ops: 2,
    maxEventsPerMonth: 10 * B
  },
  {
    id: "amplitude",
    name: "Amplitude",
    url: "https://amplitude.com",
    kind: "Product analytics",
    summary: "Behavioural analytics with funnels, cohorts, journeys and an experimentation add-on.",
    license: "proprietary",
    hosting: { cloud: 0 },
    includedEvents: 10 * M,
    perMillionEvents: 60,
    perSeat: 0,
    fit: { product: 3, web: 1, bi: 1, pipeline: 0 },
    features: ["experiments", "session_replay", "warehouse_native"],
    ops: 0,
    maxEventsPerMonth: 100 * B
  },
  {
    id: "mixpanel",
    name: "Mixpanel",
    url: "https://mixpanel.com",
    kind: "Product analytics",
    summary: "Fast self-serve reports on events: funnels, flows and retention.",
    license: "proprietary",
    hosting: { cloud: 0 },
    includedEvents: M,
    perMillionEvents: 150,
    perSeat: 0,
    fit: { product: 3, web: 1, bi: 1, pipeline: 0 },
    features: ["session_replay", "warehouse_native", "privacy"],
    ops: 0,
    maxEventsPerMonth: 100 * B
  },
  {
    id: "heap",
    name: "Heap",
    url: "https://www.heap.io",
    kind: "Product analytics",
    summary: "Autocaptures every interaction so you can define events after the fact.",
    license: "proprietary",
    hosting: { cloud: 300 },
    includedEvents: 10 * M,
    perMillionEvents: 100,
    perSeat: 0,
    fit: { product: 3, web: 2, bi: 0, pipeline: 0 },
    features: ["session_replay"],
    ops: 0,
    maxEventsPerMonth: 10 * B
  },
  {
    id: "plausible",
    name: "Plausible",
    url: "https://plausible.io",
    kind: "Privacy-first web analytics",
    summary: "A lightweight, cookieless alternative to Google Analytics.",
    license: "open_source",
    hosting: { self: 10, cloud: 9 },
    includedEvents: 10_000,
    perMillionEvents: 60,
    perSeat: 0,
    fit: { product: 1, web: 3, bi: 0, pipeline: 0 },
    features: ["realtime", "privacy"],
    ops: 1,
    maxEventsPerMonth: B
  },
  {
    id: "matomo",
    name: "Matomo",
    url: "https://matomo.org",
    kind: "Web analytics",
    summary: "The long-standing open-source Google Analytics alternative, with heatmaps and A/B tests as plugins.",
    license: "open_source",
    hosting: { self: 20, cloud: 25 },
    includedEvents: 50_000,
    perMillionEvents: 40,
    perSeat: 0,
    fit: { product: 1, web: 3, bi: 1, pipeline: 0 },
    features: ["sql_access", "realtime", "experiments", "session_replay", "privacy"],
    ops: 1,
    maxEventsPerMonth: B
  },
  {
    id: "umami",
    name: "Umami",
    url: "https://umami.is",
    kind: "Privacy-first web analytics",
    summary: "Simple, fast, cookieless website analytics you can run in minutes.",
    license: "open_source",
    hosting: { self: 5, cloud: 0 },
    includedEvents: 100_000,
    perMillionEvents: 20,
    perSeat: 0,
    fit: { product: 1, web: 3, bi: 0, pipeline: 0 },
    features: ["realtime", "privacy"],
    ops: 1,
    maxEventsPerMonth: 500 * M
  },
  {
    id: "ga4",
    name: "Google Analytics 4",
    url: "https://marketingplatform.google.com/about/analytics/",
    kind: "Web analytics",
    summary: "Free, ubiquitous website and app analytics with a BigQuery export.",
    license: "proprietary",
    hosting: { cloud: 0 },
    includedEvents: 10 * B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 1, web: 3, bi: 1, pipeline: 1 },
    features: ["realtime", "sql_access"],
    ops: 0,
    maxEventsPerMonth: 10 * B
  },
  {
    id: "snowplow",
    name: "Snowplow",
    url: "https://snowplow.io",
    kind: "Behavioural data pipeline",
    summary: "Schema-validated event collection into your warehouse, with dbt models for sessions and users.",
    license: "source_available",
    hosting: { self: 200, cloud: 2000 },
    includedEvents: 100 * M,
    perMillionEvents: 5,
    perSeat: 0,
    fit: { product: 1, web: 2, bi: 1, pipeline: 3 },
    features: ["sql_access", "realtime", "data_modeling", "privacy", "warehouse_native"],
    ops: 3,
    maxEventsPerMonth: 100 * B
  },
  {
    id: "segment",
    name: "Segment",
    url: "https://segment.com",
    kind: "Customer data platform",
    summary: "Collect events once and route them to hundreds of tools and warehouses.",
    license: "proprietary",
    hosting: { cloud: 120 },
    includedEvents: 10 * M,
    perMillionEvents: 100,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 0, pipeline: 3 },
    features: ["realtime", "warehouse_native"],
    ops: 0,
    maxEventsPerMonth: 100 * B
  },
  {
    id: "rudderstack",
    name: "RudderStack",
    url: "https://www.rudderstack.com",
    kind: "Warehouse-native CDP",
    summary: "Segment-compatible event collection that lands everything in your warehouse first.",
    license: "source_available",
    hosting: { self: 100, cloud: 0 },
    includedEvents: 250_000,
    perMillionEvents: 40,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 0, pipeline: 3 },
    features: ["realtime", "warehouse_native", "data_modeling"],
    ops: 2,
    maxEventsPerMonth: 100 * B
  },
  {
    id: "jitsu",
    name: "Jitsu",
    url: "https://jitsu.com",
    kind: "Event collection",
    summary: "Open-source, Segment-compatible ingestion into ClickHouse, BigQuery, Snowflake and more.",
    license: "open_source",
    hosting: { self: 50, cloud: 0 },
    includedEvents: 200_000,
    perMillionEvents: 15,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 0, pipeline: 3 },
    features: ["realtime", "warehouse_native", "privacy"],
    ops: 2,
    maxEventsPerMonth: 10 * B
  },
  {
    id: "kafka",
    name: "Apache Kafka",
    url: "https://kafka.apache.org",
    kind: "Event streaming",
    summary: "The durable log under most event pipelines: replayable, partitioned, real time.",
    license: "open_source",
    hosting: { self: 300, cloud: 400 },
    includedEvents: 10 * B,
    perMillionEvents: 0.5,
    perSeat: 0,
    fit: { product: 0, web: 0, bi: 0, pipeline: 2 },
    features: ["realtime"],
    ops: 3,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "clickhouse",
    name: "ClickHouse",
    url: "https://clickhouse.com",
    kind: "Real-time analytical database",
    summary: "Columnar SQL that answers over billions of events in milliseconds.",
    license: "open_source",
    hosting: { self: 50, cloud: 70 },
    includedEvents: B,
    perMillionEvents: 1,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 2, pipeline: 2 },
    features: ["sql_access", "realtime", "warehouse_native"],
    ops: 2,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "duckdb",
    name: "DuckDB",
    url: "https://duckdb.org",
    kind: "Embedded analytical database",
    summary: "In-process SQL over Parquet files: a warehouse in a library, free and fast.",
    license: "open_source",
    hosting: { self: 0 },
    includedEvents: B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 1, web: 0, bi: 2, pipeline: 2 },
    features: ["sql_access", "data_modeling", "privacy", "warehouse_native"],
    ops: 1,
    maxEventsPerMonth: 5 * B
  },
  {
    id: "bigquery",
    name: "Google BigQuery",
    url: "https://cloud.google.com/bigquery",
    kind: "Serverless data warehouse",
    summary: "Pay-per-query SQL warehouse with a free tier and native GA4 export.",
    license: "proprietary",
    hosting: { cloud: 0 },
    includedEvents: 100 * M,
    perMillionEvents: 2,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 2, pipeline: 2 },
    features: ["sql_access", "data_modeling", "warehouse_native"],
    ops: 0,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "snowflake",
    name: "Snowflake",
    url: "https://www.snowflake.com",
    kind: "Cloud data warehouse",
    summary: "Elastic SQL warehouse that separates storage from compute.",
    license: "proprietary",
    hosting: { cloud: 100 },
    includedEvents: 100 * M,
    perMillionEvents: 5,
    perSeat: 0,
    fit: { product: 1, web: 0, bi: 2, pipeline: 2 },
    features: ["sql_access", "data_modeling", "warehouse_native"],
    ops: 0,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "dbt",
    name: "dbt",
    url: "https://www.getdbt.com",
    kind: "SQL transformation",
    summary: "Version-controlled SQL models with tests and docs, on any warehouse.",
    license: "open_source",
    hosting: { self: 0, cloud: 100 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 0, web: 0, bi: 2, pipeline: 2 },
    features: ["sql_access", "data_modeling", "warehouse_native"],
    ops: 1,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "metabase",
    name: "Metabase",
    url: "https://www.metabase.com",
    kind: "Business intelligence",
    summary: "Friendly dashboards and questions on your databases, for people who do not write SQL.",
    license: "open_source",
    hosting: { self: 20, cloud: 85 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 5,
    fit: { product: 1, web: 1, bi: 3, pipeline: 0 },
    features: ["sql_access", "warehouse_native"],
    ops: 1,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "superset",
    name: "Apache Superset",
    url: "https://superset.apache.org",
    kind: "Business intelligence",
    summary: "Open-source dashboards and SQL exploration that scale to large teams.",
    license: "open_source",
    hosting: { self: 50, cloud: 200 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 3, pipeline: 0 },
    features: ["sql_access", "warehouse_native"],
    ops: 2,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "grafana",
    name: "Grafana",
    url: "https://grafana.com",
    kind: "Real-time dashboards",
    summary: "Live dashboards and alerts over metrics, logs and SQL sources.",
    license: "open_source",
    hosting: { self: 20, cloud: 0 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 1, web: 1, bi: 2, pipeline: 0 },
    features: ["sql_access", "realtime", "warehouse_native"],
    ops: 1,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "looker_studio",
    name: "Looker Studio",
    url: "https://lookerstudio.google.com",
    kind: "Reports and dashboards",
    summary: "Free drag-and-drop reports on Google Analytics, BigQuery and spreadsheets.",
    license: "proprietary",
    hosting: { cloud: 0 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 0, web: 2, bi: 2, pipeline: 0 },
    features: ["warehouse_native"],
    ops: 0,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "evidence",
    name: "Evidence",
    url: "https://evidence.dev",
    kind: "BI as code",
    summary: "Reports written in SQL and Markdown, versioned in git, built into a website.",
    license: "open_source",
    hosting: { self: 0, cloud: 0 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 0,
    fit: { product: 0, web: 0, bi: 2, pipeline: 1 },
    features: ["sql_access", "data_modeling", "warehouse_native"],
    ops: 1,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "growthbook",
    name: "GrowthBook",
    url: "https://www.growthbook.io",
    kind: "Experimentation platform",
    summary: "Feature flags and warehouse-native A/B tests with Bayesian and frequentist statistics.",
    license: "open_source",
    hosting: { self: 20, cloud: 0 },
    includedEvents: 1000 * B,
    perMillionEvents: 0,
    perSeat: 20,
    fit: { product: 2, web: 1, bi: 0, pipeline: 0 },
    features: ["experiments", "sql_access", "warehouse_native"],
    ops: 1,
    maxEventsPerMonth: 1000 * B
  },
  {
    id: "statsig",
    name: "Statsig",
    url: "https://statsig.com",
    kind: "Experimentation platform",
    summary: "Feature gates, experiments and product analytics with automatic metric impact.",
    license: "proprietary",
    hosting: { cloud: 0 },
    includedEvents: 2 * M,
    perMillionEvents: 50,
    perSeat: 0,
    fit: { product: 2, web: 1, bi: 0, pipeline: 0 },
    features: ["experiments", "realtime", "session_replay", "warehouse_native"],
    ops: 0,
    maxEventsPerMonth: 100 * B
  },
  {
    id: "openreplay",
    name: "OpenReplay",
    url: "https://openreplay.com",
    kind: "Session replay",
    summary: "Self-hostable session replay with dev tools, for debugging real user journeys.",
    license: "source_available",
    hosting: { self: 100, cloud: 0 },
    includedEvents: M,
    perMillionEvents: 30,
    perSeat: 0,
    fit: { product: 2, web: 1, bi: 0, pipeline: 0 },
    features: ["session_replay", "privacy"],
    ops: 2,
    maxEventsPerMonth: B
  }
]
