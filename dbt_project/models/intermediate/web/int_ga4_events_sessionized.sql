{#-
  GA4 events with a session for every event. Events whose export carries no event_params.ga_session_id
  (consent mode, Measurement Protocol hits, some connectors) are sessionized as GA4 does it: a user's
  session ends after `mops_ga4_session_timeout_minutes` of inactivity, and its id is its first event's
  timestamp in seconds (GA4's ga_session_id is the session start in seconds). is_fallback_session says
  which; tests/ga4_fallback_sessions.sql reports their number in the build output.
  Grain: one row per event.
-#}
-- a table, not the folder's incremental: the fallback needs each user's whole event sequence, and the
-- incremental sessions model selects what it rebuilds from here by load time
{{ config(materialized='table') }}

with

events as (

    select * from {{ ref('stg_ga4__events') }}

),

unsessioned as (

    select
        event_id,
        user_pseudo_id,
        event_timestamp_micros,
        case
            when
                lag(event_timestamp_micros) over (
                    partition by user_pseudo_id order by event_timestamp_micros, event_id
                ) is null
                or event_timestamp_micros - lag(event_timestamp_micros) over (
                    partition by user_pseudo_id order by event_timestamp_micros, event_id
                ) > cast({{ var('mops_ga4_session_timeout_minutes') }} as bigint) * 60 * 1000000
                then 1
            else 0
        end as starts_session
    from events
    where ga_session_id is null

),

numbered as (

    select
        event_id,
        user_pseudo_id,
        event_timestamp_micros,
        sum(starts_session) over (
            partition by user_pseudo_id
            order by event_timestamp_micros, event_id
            rows between unbounded preceding and current row
        ) as session_number
    from unsessioned

),

fallback as (

    select
        event_id,
        cast(floor(min(event_timestamp_micros) over (
            partition by user_pseudo_id, session_number
        ) / 1000000.0) as bigint) as fallback_session_id
    from numbered

),

final as (

    select
        events.event_id,
        events.event_date,
        events.event_timestamp_micros,
        events.event_at,
        events.event_name,
        events.user_pseudo_id,
        events.user_id,
        coalesce(events.ga_session_id, fallback.fallback_session_id) as ga_session_id,
        events.ga_session_id is null as is_fallback_session,
        events.page_location,
        events.session_source,
        events.session_medium,
        events.session_campaign_name,
        events.session_campaign_id,
        events.last_click_source,
        events.last_click_medium,
        events.last_click_campaign_name,
        events.last_click_campaign_id,
        events.gclid,
        events.first_user_source,
        events.first_user_medium,
        events.first_user_campaign_name,
        events.transaction_id,
        events.purchase_revenue,
        events.purchase_revenue_in_usd,
        events.event_currency,
        events.device_category,
        events.geo_country,
        events.source_file,
        events.loaded_at
    from events
    left join fallback on events.event_id = fallback.event_id

)

select * from final
