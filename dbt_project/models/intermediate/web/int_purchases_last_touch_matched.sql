{#-
  Each purchase with the user's (user_pseudo_id) latest non-direct session at or before it, of any age;
  sessions starting at the same time go to the greatest session_key (macros/last_touch.sql). Consumers
  apply their own lookback to last_non_direct_touched_at. Incremental: every purchase of a browser with a
  purchase or a session rebuilt upstream since the last build (or within the GA4 lookback) is matched
  again against all of that browser's sessions. Grain: one row per transaction_id.
-#}
{{ config(unique_key='transaction_id') }}

with

{% if is_incremental() %}
touched_users as (

    select user_pseudo_id
    from {{ ref('int_purchases_deduplicated') }}
    where
        events_loaded_at > {{ built_up_to('events_loaded_at') }}
        or converted_at >= {{ ga4_lookback_start('converted_at') }}
    union
    select user_pseudo_id
    from {{ ref('int_sessions_channel_mapped') }}
    where
        events_loaded_at > {{ built_up_to('events_loaded_at') }}
        or session_started_at >= {{ ga4_lookback_start('converted_at') }}

),
{% endif %}

purchases as (

    select
        transaction_id,
        user_pseudo_id,
        converted_at,
        events_loaded_at
    from {{ ref('int_purchases_deduplicated') }}
    {% if is_incremental() %}
        where user_pseudo_id in (select touched_users.user_pseudo_id from touched_users)
    {% endif %}

),

non_direct_sessions as (

    select
        user_pseudo_id,
        session_key as last_non_direct_touchpoint_id,
        session_started_at as last_non_direct_touched_at,
        channel_id as last_non_direct_channel_id
    from {{ ref('int_sessions_channel_mapped') }}
    where
        channel_id <> 'direct'
        -- only buyers' sessions can match: at 10x 44% of the non-direct sessions, half the matching time
        and user_pseudo_id in (select purchases.user_pseudo_id from purchases)

),

matched as (

    {{ last_touch_at_or_before(
        events='purchases',
        event_key='transaction_id',
        event_at='converted_at',
        touches='non_direct_sessions',
        touch_key='last_non_direct_touchpoint_id',
        touch_at='last_non_direct_touched_at',
        partition_by='user_pseudo_id',
        carried=['last_non_direct_channel_id'],
    ) }}

),

final as (

    select
        transaction_id,
        user_pseudo_id,
        converted_at,
        last_non_direct_touchpoint_id,
        last_non_direct_channel_id,
        last_non_direct_touched_at,
        events_loaded_at
    from matched

)

select * from final
