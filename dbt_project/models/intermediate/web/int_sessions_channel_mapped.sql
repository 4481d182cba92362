{#-
  Each session gets the channel of the first (lowest priority number) channel_source_mapping rule its
  source / medium match. Incremental: the sessions rebuilt upstream since the last build (or within the
  GA4 lookback). Grain: one row per session.
-#}
{{ config(unique_key='session_key') }}

with

sessions as (

    select * from {{ ref('int_ga4_sessions_aggregated') }}
    {% if is_incremental() %}
        where
            events_loaded_at > {{ built_up_to('events_loaded_at') }}
            or session_ended_at >= {{ ga4_lookback_start('session_ended_at') }}
    {% endif %}

),

rules as (

    select * from {{ ref('channel_source_mapping') }}

),

matched as (

    select
        sessions.session_key,
        rules.channel_id,
        row_number() over (partition by sessions.session_key order by rules.priority) as rule_rank
    from sessions
    inner join rules
        on
            sessions.session_source like lower(rules.source_pattern)
            and sessions.session_medium like lower(rules.medium_pattern)

),

final as (

    select
        sessions.session_key,
        sessions.user_pseudo_id,
        sessions.ga_session_id,
        sessions.session_started_at,
        sessions.session_ended_at,
        sessions.user_id,
        sessions.event_count,
        sessions.purchase_event_count,
        sessions.session_source,
        sessions.session_medium,
        sessions.session_campaign_name,
        sessions.session_campaign_id,
        coalesce(matched.channel_id, 'other') as channel_id,
        sessions.events_loaded_at
    from sessions
    left join matched
        on
            sessions.session_key = matched.session_key
            and matched.rule_rank = 1

)

select * from final
