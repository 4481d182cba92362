{#-
  Journeys: a user's touches up to and including the session of a conversion (every touch after the
  user's previous conversion; with var mops_attribution_path_history_days, only those within that many
  days before it) form that conversion's path; the touches after a user's last conversion form one
  non-converting journey. Markov attribution needs both. Consumers apply their own lookback through
  touch_hours_before_end; the counterfactual model needs the whole journey (every session at risk).
  touch_hours_before_end: hours from each touch to the journey's end (its conversion, or the last touch
  of a non-converting journey), aligned with channel_path, for time-decay attribution and lookbacks.
  Incremental: a user with a session or purchase rebuilt upstream since the last build (or within the GA4
  lookback) has all their journeys rebuilt, replaced by user (a late purchase renumbers them).
  Grain: one row per journey.
-#}
{{ config(unique_key='user_pseudo_id') }}

with

all_touchpoints as (

    select * from {{ ref('int_sessions_channel_mapped') }}

),

all_conversions as (

    select * from {{ ref('int_purchases_deduplicated') }}

),

{% if is_incremental() %}
touched_users as (

    select user_pseudo_id
    from all_touchpoints
    where
        events_loaded_at > {{ built_up_to('inputs_loaded_at') }}
        or session_started_at >= {{ ga4_lookback_start('last_touched_at') }}
    union
    select user_pseudo_id
    from all_conversions
    where
        events_loaded_at > {{ built_up_to('inputs_loaded_at') }}
        or converted_at >= {{ ga4_lookback_start('converted_at') }}

),
{% endif %}

touchpoints as (

    select all_touchpoints.*
    from all_touchpoints
    {% if is_incremental() %}
        inner join touched_users on all_touchpoints.user_pseudo_id = touched_users.user_pseudo_id
    {% endif %}

),

conversions as (

    select all_conversions.*
    from all_conversions
    {% if is_incremental() %}
        inner join touched_users on all_conversions.user_pseudo_id = touched_users.user_pseudo_id
    {% endif %}

),

conversion_sequence as (

    select
        transaction_id,
        user_pseudo_id,
        converted_at,
        revenue,
        revenue_currency,
        events_loaded_at,
        row_number() over (partition by user_pseudo_id order by converted_at, transaction_id) as conversion_number
    from conversions

),

touch_journey as (

    -- journey number of a touch = number of the user's conversions before it, plus one; a join, not a
    -- correlated subquery, which PostgreSQL would re-run for every touch (session_key is unique)
    select
        touchpoints.session_key,
        touchpoints.user_pseudo_id,
        touchpoints.session_started_at,
        touchpoints.channel_id,
        touchpoints.events_loaded_at,
        1 + count(earlier.transaction_id) as journey_number
    from touchpoints
    left join conversion_sequence as earlier
        on
            touchpoints.user_pseudo_id = earlier.user_pseudo_id
            and touchpoints.session_started_at > earlier.converted_at
    group by
        touchpoints.session_key,
        touchpoints.user_pseudo_id,
        touchpoints.session_started_at,
        touchpoints.channel_id,
        touchpoints.events_loaded_at

),

touches_in_window as (

    select
        touch_journey.*,
        conversion_sequence.transaction_id,
        conversion_sequence.converted_at,
        conversion_sequence.revenue,
        conversion_sequence.revenue_currency,
        conversion_sequence.events_loaded_at as conversion_loaded_at
    from touch_journey
    left join conversion_sequence
        on
            touch_journey.user_pseudo_id = conversion_sequence.user_pseudo_id
            and touch_journey.journey_number = conversion_sequence.conversion_number
    {% if var('mops_attribution_path_history_days', none) is not none %}
    where
        conversion_sequence.transaction_id is null
        or touch_journey.session_started_at >= {{ dbt.dateadd(
            'day', -1 * var('mops_attribution_path_history_days'), 'conversion_sequence.converted_at'
        ) }}
    {% endif %}

),

touches_timed as (

    select
        touches_in_window.*,
        coalesce(
            touches_in_window.converted_at,
            max(touches_in_window.session_started_at) over (
                partition by touches_in_window.user_pseudo_id, touches_in_window.journey_number
            )
        ) as journey_ended_at
    from touches_in_window

),

touches_aged as (

    select
        touches_timed.*,
        {{ hours_between_as_text('touches_timed.session_started_at', 'touches_timed.journey_ended_at', 3) }}
            as touch_hours_before_end
    from touches_timed

),

journeys as (

    select
        user_pseudo_id,
        journey_number,
        max(transaction_id) as conversion_id,
        max(converted_at) as converted_at,
        max(revenue) as revenue,
        max(revenue_currency) as revenue_currency,
        count(*) as touch_count,
        min(session_started_at) as first_touched_at,
        max(session_started_at) as last_touched_at,
        {{ dbt.listagg('channel_id', "' > '", 'order by session_started_at, session_key') }} as channel_path,
        {{ dbt.listagg('touch_hours_before_end', "' > '", 'order by session_started_at, session_key') }}
            as touch_hours_before_end,
        max(coalesce(conversion_loaded_at, events_loaded_at)) as conversion_loaded_at,
        max(events_loaded_at) as touches_loaded_at
    from touches_aged
    group by user_pseudo_id, journey_number

),

final as (

    select
        {{ dbt.concat(['user_pseudo_id', "'#'", 'cast(journey_number as varchar)']) }} as journey_id,
        user_pseudo_id,
        journey_number,
        conversion_id,
        conversion_id is not null as is_converted,
        converted_at,
        revenue,
        revenue_currency,
        touch_count,
        first_touched_at,
        last_touched_at,
        channel_path,
        touch_hours_before_end,
        -- the newest load among the journey's inputs: the watermark of incremental builds
        case
            when conversion_loaded_at > touches_loaded_at then conversion_loaded_at else touches_loaded_at
        end as inputs_loaded_at
    from journeys

)

select * from final
