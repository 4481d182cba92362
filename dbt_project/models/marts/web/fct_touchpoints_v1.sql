{#-
  Incremental (see macros/incremental.sql): a build replaces every session rebuilt upstream since this
  mart's watermark (or within the GA4 lookback of the newest touch), and every session of a browser whose
  identity (customer_id) was rebuilt; each from its whole upstream row, and written only where it differs
  from the row stored. Grain: one row per session.
-#}
{{ config(
    materialized='incremental',
    unique_key='touchpoint_id',
    post_hook="{{ record_mart_watermark({
        'int_sessions_channel_mapped': 'events_loaded_at', 'int_user_identities_stitched': 'logins_loaded_at'
    }) }}",
) }}

with

{% if is_incremental() %}
restitched_users as (

    select user_pseudo_id
    from {{ ref('int_user_identities_stitched') }}
    where
        logins_loaded_at > {{ mart_built_up_to() }}
        or logged_in_at >= {{ dbt.dateadd(
            'hour', -1 * var('mops_ga4_lookback_hours'),
            '(select max(logged_in_at) from ' ~ ref('int_user_identities_stitched') ~ ')'
        ) }}

),
{% endif %}

sessions as (

    select * from {{ ref('int_sessions_channel_mapped') }}
    {% if is_incremental() %}
        where
            events_loaded_at > {{ mart_built_up_to() }}
            or session_started_at >= {{ dbt.dateadd(
                'hour', -1 * var('mops_ga4_lookback_hours'), built_up_to('touched_at')
            ) }}
            or user_pseudo_id in (select restitched_users.user_pseudo_id from restitched_users)
    {% endif %}

),

identities as (

    select * from {{ ref('int_user_identities_stitched') }}

),

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        cast(sessions.session_key as varchar) as touchpoint_id,
        cast(sessions.user_pseudo_id as varchar) as user_pseudo_id,
        cast(identities.customer_id as varchar) as customer_id,
        cast(sessions.session_started_at as timestamp) as touched_at,
        cast({{ utc_to_local('sessions.session_started_at', "'" ~ var('mops_ga4_property_timezone') ~ "'") }} as date)
            as touch_date,
        cast(sessions.channel_id as varchar) as channel_id,
        cast(channels.is_paid as boolean) as is_paid,
        cast(sessions.session_source as varchar) as traffic_source,
        cast(sessions.session_medium as varchar) as traffic_medium,
        cast(sessions.session_campaign_name as varchar) as campaign_name,
        cast(sessions.session_campaign_id as varchar) as campaign_id,
        cast(sessions.purchase_event_count > 0 as boolean) as has_purchase
    from sessions
    left join identities on sessions.user_pseudo_id = identities.user_pseudo_id
    left join channels on sessions.channel_id = channels.channel_id

),

-- incremental: the new or changed touches only; the others stay as stored
differing as (

    {% if is_incremental() %}
        {{ rows_differing_from_built('final', 'touchpoint_id', unique=true) }}
    {% else %}
        select * from final
    {% endif %}

)

select * from differing
