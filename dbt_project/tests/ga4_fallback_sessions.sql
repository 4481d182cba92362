{#-
  Not an error: how many GA4 events had no event_params.ga_session_id and were sessionized by the
  inactivity fallback (int_ga4_events_sessionized). `mops build` prints the row's `problem` text.
-#}
{{ config(severity='warn', store_failures=true, meta={'message': 'GA4 events without ga_session_id'}) }}

with

events as (

    select * from {{ ref('int_ga4_events_sessionized') }}
    where is_fallback_session

),

counted as (

    select
        count(*) as fallback_events,
        count(distinct {{ dbt.concat(['user_pseudo_id', "'-'", 'cast(ga_session_id as varchar)']) }})
            as fallback_sessions
    from events

),

final as (

    select
        fallback_events,
        fallback_sessions,
        'GA4: ' || cast(fallback_events as varchar) || ' events had no event_params.ga_session_id; sessionized into '
        || cast(fallback_sessions as varchar) || ' sessions by '
        || '{{ var("mops_ga4_session_timeout_minutes") }} minutes of inactivity per user' as problem
    from counted
    where fallback_events > 0

)

select * from final
