{#-
  GA4 events rolled up to sessions (user_pseudo_id + ga_session_id, or the inactivity fallback of
  int_ga4_events_sessionized). A session's source is GA4's own last-click attribution
  (session_traffic_source_last_click) where the export has it, else the first collected source in it;
  a session with neither is direct.
  Incremental: every session with an event loaded since the last build (or within the GA4 lookback) is
  rebuilt from all its events, so a session crossing midnight or a file boundary is never split.
  Grain: one row per session.
-#}
{{ config(unique_key='session_key') }}

with

session_events as (

    select * from {{ ref('int_ga4_events_sessionized') }}

),

{% if is_incremental() %}
touched_sessions as (

    select distinct
        user_pseudo_id,
        ga_session_id
    from session_events
    where
        loaded_at > {{ built_up_to('events_loaded_at') }}
        or event_at >= {{ ga4_lookback_start('session_ended_at') }}

),
{% endif %}

events as (

    select session_events.*
    from session_events
    {% if is_incremental() %}
        inner join touched_sessions
            on
                session_events.user_pseudo_id = touched_sessions.user_pseudo_id
                and session_events.ga_session_id = touched_sessions.ga_session_id
    {% endif %}

),

last_click_events as (

    select
        user_pseudo_id,
        ga_session_id,
        last_click_source,
        last_click_medium,
        last_click_campaign_name,
        last_click_campaign_id,
        row_number() over (
            partition by user_pseudo_id, ga_session_id order by event_at, event_id
        ) as source_rank
    from events
    where last_click_source is not null or last_click_medium is not null

),

sourced_events as (

    select
        user_pseudo_id,
        ga_session_id,
        session_source,
        session_medium,
        session_campaign_name,
        session_campaign_id,
        gclid,
        row_number() over (
            partition by user_pseudo_id, ga_session_id order by event_at, event_id
        ) as source_rank
    from events
    where session_source is not null or session_medium is not null or gclid is not null

),

sessions as (

    select
        user_pseudo_id,
        ga_session_id,
        min(event_at) as session_started_at,
        max(event_at) as session_ended_at,
        max(user_id) as user_id,
        count(*) as event_count,
        sum(case when event_name = 'purchase' then 1 else 0 end) as purchase_event_count,
        max(loaded_at) as events_loaded_at,
        max(case when is_fallback_session then 1 else 0 end) = 1 as is_fallback_session
    from events
    group by user_pseudo_id, ga_session_id

),

final as (

    select
        {{ dbt.concat(['sessions.user_pseudo_id', "'-'", 'cast(sessions.ga_session_id as varchar)']) }}
            as session_key,
        sessions.user_pseudo_id,
        sessions.ga_session_id,
        sessions.session_started_at,
        sessions.session_ended_at,
        sessions.user_id,
        sessions.event_count,
        sessions.purchase_event_count,
        sessions.events_loaded_at,
        sessions.is_fallback_session,
        last_click_events.source_rank is not null as is_last_click_source,
        -- auto-tagged Google clicks carry a gclid and no utm source
        lower(coalesce(
            last_click_events.last_click_source,
            sourced_events.session_source,
            case when sourced_events.gclid is not null then 'google' end,
            '(direct)'
        )) as session_source,
        lower(coalesce(
            last_click_events.last_click_medium,
            sourced_events.session_medium,
            case when sourced_events.gclid is not null then 'cpc' end,
            '(none)'
        )) as session_medium,
        case
            when last_click_events.source_rank is not null then last_click_events.last_click_campaign_name
            else sourced_events.session_campaign_name
        end as session_campaign_name,
        case
            when last_click_events.source_rank is not null then last_click_events.last_click_campaign_id
            else sourced_events.session_campaign_id
        end as session_campaign_id
    from sessions
    left join sourced_events
        on
            sessions.user_pseudo_id = sourced_events.user_pseudo_id
            and sessions.ga_session_id = sourced_events.ga_session_id
            and sourced_events.source_rank = 1
    left join last_click_events
        on
            sessions.user_pseudo_id = last_click_events.user_pseudo_id
            and sessions.ga_session_id = last_click_events.ga_session_id
            and last_click_events.source_rank = 1

)

select * from final
