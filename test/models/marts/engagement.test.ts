/**
 * fct_daily_engagement, dim_users, dim_date, fct_events, stg_identities and the sessions on a small
 * hand-built event set; every expected number is worked out by hand in the comments.
 *
 * Day D = Monday 2026-03-02 (UTC). Events (device in brackets):
 * - ann [desktop, utm google/spring]: D 09:00 page_view, 09:01 quiz_started, 09:02 option_selected,
 *   09:03 slider_adjusted, 09:04 option_selected, 09:10 quiz_completed, 09:11 result_shared,
 *   12:00 page_view (2 h 49 min later: a new session).
 * - bob [mobile]: D 10:00 quiz_started, 10:01 option_selected; D+1 09:30 quiz_completed (23 h 30 min
 *   after his start: within 24 h), D+1 09:40 result_shared.
 * - cat: D 20:00 page_view [mobile, utm newsletter/launch], 20:10 quiz_started [desktop];
 *   D+1 21:00 quiz_completed [desktop] (24 h 50 min after the start: too late).
 * - anon-1 [tablet], identified as dan at 11:06: D 11:00 page_view and 11:05 quiz_started as anon-1;
 *   11:06 identify (user dan, anonymous_id anon-1); 11:07 quiz_completed as dan. Every model counts dan.
 * - eve [desktop]: D 15:00 page_view.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { DAY, day, event, HOUR, MINUTE, pageView, rows, withMarts } from "./fixtures.ts"

const D = Date.UTC(2026, 2, 2)
const at = (dayOffset: number, hour: number, minute = 0) => D + dayOffset * DAY + hour * HOUR + minute * MINUTE
const quiz = { quiz_id: "bike-fit" }
const ann = { user: "ann", device: "desktop", utm: { source: "google", campaign: "spring" } } as const
const bob = { user: "bob", device: "mobile" } as const

const events = [
  pageView({ ...ann, at: at(0, 9) }),
  event("quiz_started", quiz, { ...ann, at: at(0, 9, 1) }),
  event(
    "option_selected",
    { ...quiz, step_id: "style", option_id: "gravel", selected: true },
    { ...ann, at: at(0, 9, 2) }
  ),
  event(
    "slider_adjusted",
    { ...quiz, step_id: "budget", slider_id: "budget", value: 2000, min: 300, max: 8000 },
    { ...ann, at: at(0, 9, 3) }
  ),
  event("option_selected", { ...quiz, step_id: "size", option_id: "m", selected: true }, { ...ann, at: at(0, 9, 4) }),
  event(
    "quiz_completed",
    { ...quiz, result_id: "r1", step_count: 5, duration_ms: 540_000 },
    { ...ann, at: at(0, 9, 10) }
  ),
  event("result_shared", { ...quiz, result_id: "r1", channel: "link" }, { ...ann, at: at(0, 9, 11) }),
  pageView({ ...ann, at: at(0, 12) }),
  event("quiz_started", quiz, { ...bob, at: at(0, 10) }),
  event(
    "option_selected",
    { ...quiz, step_id: "style", option_id: "city", selected: true },
    { ...bob, at: at(0, 10, 1) }
  ),
  event(
    "quiz_completed",
    { ...quiz, result_id: "r2", step_count: 5, duration_ms: 1_000 },
    { ...bob, at: at(1, 9, 30) }
  ),
  event("result_shared", { ...quiz, result_id: "r2", channel: "email" }, { ...bob, at: at(1, 9, 40) }),
  pageView({ user: "cat", device: "mobile", utm: { source: "newsletter", campaign: "launch" }, at: at(0, 20) }),
  event("quiz_started", quiz, { user: "cat", device: "desktop", at: at(0, 20, 10) }),
  event(
    "quiz_completed",
    { ...quiz, result_id: "r3", step_count: 5, duration_ms: 1_000 },
    { user: "cat", device: "desktop", at: at(1, 21) }
  ),
  pageView({ user: "anon-1", device: "tablet", at: at(0, 11) }),
  event("quiz_started", quiz, { user: "anon-1", device: "tablet", at: at(0, 11, 5) }),
  event(
    "identify",
    { traits: { plan: "pro" } },
    { user: "dan", anonymousId: "anon-1", device: "tablet", at: at(0, 11, 6) }
  ),
  event(
    "quiz_completed",
    { ...quiz, result_id: "r4", step_count: 5, duration_ms: 120_000 },
    { user: "dan", anonymousId: "anon-1", device: "tablet", at: at(0, 11, 7) }
  ),
  pageView({ user: "eve", device: "desktop", at: at(0, 15) })
]

describe("fct_daily_engagement", () => {
  it.effect("DAU, adoption, completion, depth, session duration and share rate by day and device", () =>
    withMarts(events, (sql) =>
      Effect.gen(function* () {
        const engagement = yield* rows(
          sql,
          `SELECT * EXCLUDE (event_date) FROM fct_daily_engagement WHERE event_date = DATE '2026-03-02' ORDER BY device_type`
        )
        assert.deepStrictEqual(engagement, [
          {
            // ann, bob, cat, dan (anon-1 resolved), eve; 10 + 3 + 4 = 17 events.
            device_type: "all",
            dau: 5,
            events: 17,
            // ann, bob, cat, dan started: 4 / 5.
            starters: 4,
            adoption_rate: 4 / 5,
            // ann (9 min), bob (23 h 30 min), dan (2 min); cat took 24 h 50 min: 3 / 4.
            completed_within_24h: 3,
            completion_rate: 3 / 4,
            // ann 3 (two option_selected, one slider_adjusted) + bob 1 + cat 0 + dan 0 = 4, over 4 starters.
            configurator_interactions: 4,
            interactions_per_starter: 1,
            // ann 09:00–09:11 (7 events, 660 s) and 12:00 (1, 0 s), bob (2, 60 s), cat 20:00–20:10 (2, 600 s),
            // anon-1 (2, 300 s), dan (2, 60 s; the stream keys sessions by the id sent), eve (1, 0 s):
            // 7 sessions, 17 events; durations 0, 0, 60, 60, 300, 600, 660: mean 1680 / 7 = 240, median 60.
            sessions: 7,
            session_events: 17,
            events_per_session: 17 / 7,
            avg_session_duration_s: 240,
            median_session_duration_s: 60,
            // ann and dan completed on D; ann shared 1 min later: 1 / 2.
            completers: 2,
            sharers: 1,
            share_rate: 0.5
          },
          {
            // ann 8 events, cat's quiz_started, eve's page_view: 10 events; ann, cat, eve.
            device_type: "desktop",
            dau: 3,
            events: 10,
            // ann and cat started on desktop: 2 / 3.
            starters: 2,
            adoption_rate: 2 / 3,
            // ann within 24 h, cat not: 1 / 2.
            completed_within_24h: 1,
            completion_rate: 0.5,
            // ann's 3 interactions over 2 starters.
            configurator_interactions: 3,
            interactions_per_starter: 1.5,
            // ann's two sessions and eve's (cat's session started on mobile): 9 events / 3; durations 0, 0, 660.
            sessions: 3,
            session_events: 9,
            events_per_session: 3,
            avg_session_duration_s: 220,
            median_session_duration_s: 0,
            completers: 1,
            sharers: 1,
            share_rate: 1
          },
          {
            // bob's 2 events and cat's page_view; bob and cat.
            device_type: "mobile",
            dau: 2,
            events: 3,
            starters: 1,
            adoption_rate: 0.5,
            completed_within_24h: 1,
            completion_rate: 1,
            configurator_interactions: 1,
            interactions_per_starter: 1,
            // bob (2 events, 60 s) and cat (2 events, 600 s; it started on mobile): mean = median = 330.
            sessions: 2,
            session_events: 4,
            events_per_session: 2,
            avg_session_duration_s: 330,
            median_session_duration_s: 330,
            // Nobody completed on mobile on D: no share rate.
            completers: 0,
            sharers: 0,
            share_rate: null
          },
          {
            // anon-1's two events, dan's identify and completion: one resolved user.
            device_type: "tablet",
            dau: 1,
            events: 4,
            starters: 1,
            adoption_rate: 1,
            completed_within_24h: 1,
            completion_rate: 1,
            configurator_interactions: 0,
            interactions_per_starter: 0,
            // anon-1 (2 events, 300 s), dan (2 events, 60 s).
            sessions: 2,
            session_events: 4,
            events_per_session: 2,
            avg_session_duration_s: 180,
            median_session_duration_s: 180,
            // dan completed and did not share: 0 / 1.
            completers: 1,
            sharers: 0,
            share_rate: 0
          }
        ])
        const nextDay = yield* rows(
          sql,
          `SELECT device_type, dau, events, starters, adoption_rate, completion_rate, sessions, events_per_session,
            avg_session_duration_s, median_session_duration_s, completers, sharers, share_rate
          FROM fct_daily_engagement WHERE event_date = DATE '2026-03-03' ORDER BY device_type`
        )
        assert.deepStrictEqual(nextDay, [
          {
            // bob's completion and share, cat's completion; nobody started: adoption 0, no completion rate.
            device_type: "all",
            dau: 2,
            events: 3,
            starters: 0,
            adoption_rate: 0,
            completion_rate: null,
            // bob 09:30–09:40 (2 events, 600 s), cat 21:00 (1 event, 0 s): 3 / 2, mean = median = 300.
            sessions: 2,
            events_per_session: 1.5,
            avg_session_duration_s: 300,
            median_session_duration_s: 300,
            // bob shared 10 min after completing; cat did not: 1 / 2.
            completers: 2,
            sharers: 1,
            share_rate: 0.5
          },
          {
            device_type: "desktop",
            dau: 1,
            events: 1,
            starters: 0,
            adoption_rate: 0,
            completion_rate: null,
            sessions: 1,
            events_per_session: 1,
            avg_session_duration_s: 0,
            median_session_duration_s: 0,
            completers: 1,
            sharers: 0,
            share_rate: 0
          },
          {
            device_type: "mobile",
            dau: 1,
            events: 2,
            starters: 0,
            adoption_rate: 0,
            completion_rate: null,
            sessions: 1,
            events_per_session: 2,
            avg_session_duration_s: 600,
            median_session_duration_s: 600,
            completers: 1,
            sharers: 1,
            share_rate: 1
          }
        ])
      })
    )
  )
})

describe("dim_users, dim_date, fct_events and the identity map", () => {
  it.effect("users are resolved through identify; first/last seen, first device, acquisition utm, completer", () =>
    withMarts(events, (sql) =>
      Effect.gen(function* () {
        assert.deepStrictEqual(yield* rows(sql, "SELECT anonymous_id, user_id, linked_user_ids FROM stg_identities"), [
          { anonymous_id: "anon-1", user_id: "dan", linked_user_ids: 1 }
        ])
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT user_id, first_seen_at, last_seen_at, first_device_type, acquisition_utm_source,
              acquisition_utm_campaign, is_completer, events, sessions, orders, active_days, as_of_date, segment
            FROM dim_users ORDER BY user_id`
          ),
          [
            {
              // Eight events on D, two sessions, the utm of her first event.
              user_id: "ann",
              first_seen_at: new Date(at(0, 9)),
              last_seen_at: new Date(at(0, 12)),
              first_device_type: "desktop",
              acquisition_utm_source: "google",
              acquisition_utm_campaign: "spring",
              is_completer: true,
              events: 8,
              sessions: 2,
              orders: 0,
              active_days: 1,
              // The latest day with data is D+1; everyone was first seen within 7 days of it.
              as_of_date: day(D + DAY),
              segment: "new"
            },
            {
              user_id: "bob",
              first_seen_at: new Date(at(0, 10)),
              last_seen_at: new Date(at(1, 9, 40)),
              first_device_type: "mobile",
              acquisition_utm_source: null,
              acquisition_utm_campaign: null,
              is_completer: true,
              events: 4,
              sessions: 2,
              orders: 0,
              active_days: 2,
              as_of_date: day(D + DAY),
              segment: "new"
            },
            {
              // Her first event was on mobile with the newsletter campaign, later ones on desktop.
              user_id: "cat",
              first_seen_at: new Date(at(0, 20)),
              last_seen_at: new Date(at(1, 21)),
              first_device_type: "mobile",
              acquisition_utm_source: "newsletter",
              acquisition_utm_campaign: "launch",
              is_completer: true,
              events: 3,
              sessions: 2,
              orders: 0,
              active_days: 2,
              as_of_date: day(D + DAY),
              segment: "new"
            },
            {
              // anon-1's page_view and start, the identify and the completion: one user, two sessions (one per
              // id the events were sent with), first seen as anon-1.
              user_id: "dan",
              first_seen_at: new Date(at(0, 11)),
              last_seen_at: new Date(at(0, 11, 7)),
              first_device_type: "tablet",
              acquisition_utm_source: null,
              acquisition_utm_campaign: null,
              is_completer: true,
              events: 4,
              sessions: 2,
              orders: 0,
              active_days: 1,
              as_of_date: day(D + DAY),
              segment: "new"
            },
            {
              user_id: "eve",
              first_seen_at: new Date(at(0, 15)),
              last_seen_at: new Date(at(0, 15)),
              first_device_type: "desktop",
              acquisition_utm_source: null,
              acquisition_utm_campaign: null,
              is_completer: false,
              events: 1,
              sessions: 1,
              orders: 0,
              active_days: 1,
              as_of_date: day(D + DAY),
              segment: "new"
            }
          ]
        )
        // 2026-03-02 is the Monday of ISO week 10 (week 1 starts Monday 2025-12-29, 63 days = 9 weeks before).
        assert.deepStrictEqual(
          yield* rows(
            sql,
            "SELECT date_day, iso_year, iso_week, iso_day_of_week, day_name, is_weekend, week_start FROM dim_date ORDER BY 1"
          ),
          [
            {
              date_day: day(D),
              iso_year: 2026,
              iso_week: 10,
              iso_day_of_week: 1,
              day_name: "Monday",
              is_weekend: false,
              week_start: day(D)
            },
            {
              date_day: day(D + DAY),
              iso_year: 2026,
              iso_week: 10,
              iso_day_of_week: 2,
              day_name: "Tuesday",
              is_weekend: false,
              week_start: day(D)
            }
          ]
        )
        // Every event once, resolved; anon-1's events belong to dan and keep the id they were sent with.
        assert.deepStrictEqual(
          yield* rows(
            sql,
            `SELECT user_id, event_user_id, count(*)::INTEGER AS events, count(DISTINCT session_key)::INTEGER AS sessions
            FROM fct_events GROUP BY ALL ORDER BY ALL`
          ),
          [
            { user_id: "ann", event_user_id: "ann", events: 8, sessions: 2 },
            { user_id: "bob", event_user_id: "bob", events: 4, sessions: 2 },
            { user_id: "cat", event_user_id: "cat", events: 3, sessions: 2 },
            { user_id: "dan", event_user_id: "anon-1", events: 2, sessions: 1 },
            { user_id: "dan", event_user_id: "dan", events: 2, sessions: 1 },
            { user_id: "eve", event_user_id: "eve", events: 1, sessions: 1 }
          ]
        )
        // ann's second session starts at her 12:00 page_view; its key is the stream's user:epoch_ms.
        assert.deepStrictEqual(
          yield* rows(
            sql,
            "SELECT session_key, event_count, is_bounce FROM int_sessions WHERE user_id = 'ann' ORDER BY 1"
          ),
          [
            { session_key: `ann:${at(0, 9)}`, event_count: 7, is_bounce: false },
            { session_key: `ann:${at(0, 12)}`, event_count: 1, is_bounce: true }
          ]
        )
      })
    )
  )
})
