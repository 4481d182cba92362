{#-
  GA4 events with a session for every event. Events whose export carries no event_params.ga_session_id
  (consent mode, Measurement Protocol hits, some connectors) are sessionized as GA4 does it: a user's
  session ends after `mops_ga4_session_timeout_minutes` of inactivity, and its id is its first event's
  timestamp in seconds (GA4's ga_session_id is the session start in seconds). is_fallback_session says
  which; tests/ga4_fallback_sessions.sql reports their number in the build output.
  Incremental: a browser with an event loaded since the last build (or within the GA4 lookback) has its
  events rebuilt from its earliest such event, and from the start of its last fallback session before
  it, which the new events may continue; a fallback session is decided by the events before it, so its
  earlier events keep their sessions. Grain: one row per event.
-#}
{{ config(unique_key='event_id') }}

with

{% if is_incremental() %}
changed_browsers as (

    select
        user_pseudo_id,
        min(event_timestamp_micros) as changed_from_micros
    from {{ ref('stg_ga4__events') }}
    where
        loaded_at > {{ built_up_to('loaded_at') }}
        or event_at >= {{ ga4_lookback_start('event_at') }}
    group by user_pseudo_id

),

fallback_events_before as (

    select
        built.user_pseudo_id,
        built.ga_session_id,
        built.event_timestamp_micros,
        -- fallback ids are session starts in seconds: the largest is the browser's last session
        max(built.ga_session_id) over (partition by built.user_pseudo_id) as last_session_id
    from {{ this }} as built
    inner join changed_browsers on built.user_pseudo_id = changed_browsers.user_pseudo_id
    where built.is_fallback_session and built.event_timestamp_micros < changed_browsers.changed_from_micros

),

continued_sessions as (

    select
        user_pseudo_id,
        min(event_timestamp_micros) as session_started_micros
    from fallback_events_before
    where ga_session_id = last_session_id
    group by user_pseudo_id

),

rebuilt_browsers as (

    select
        changed_browsers.user_pseudo_id,
        coalesce(continued_sessions.session_started_micros, changed_browsers.changed_from_micros)
            as rebuilt_from_micros
    from changed_browsers
    left join continued_sessions on changed_browsers.user_pseudo_id = continued_sessions.user_pseudo_id

),
{% endif %}

events as (

    select staged.*
    from {{ ref('stg_ga4__events') }} as staged
    {% if is_incremental() %}
        inner join rebuilt_browsers
            on
                staged.user_pseudo_id = rebuilt_browsers.user_pseudo_id
                and staged.event_timestamp_micros >= rebuilt_browsers.rebuilt_from_micros
    {% endif %}

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
