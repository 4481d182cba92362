{#-
  Incremental (see macros/incremental.sql): a build recomputes every conversion of a browser with a purchase,
  a session or a login rebuilt upstream since this mart's watermark (or within the GA4 lookback of the newest
  conversion or login it holds): a new or restated purchase, a late session that is now its last non-direct
  touch or changes its own session's channel, a late login that gives it a customer; and every conversion
  whose revenue converts through an FX range that changed since the last build. Each from its whole
  upstream row, written only where it differs from the row stored. Grain: one row per conversion.
-#}
{{ config(
    materialized='incremental',
    unique_key='conversion_id',
    post_hook=[
        "{{ record_mart_watermark({
            'int_purchases_deduplicated': 'events_loaded_at',
            'int_sessions_channel_mapped': 'events_loaded_at',
            'int_user_identities_stitched': 'logins_loaded_at'
        }) }}",
        "{{ record_fx_ranges() }}",
    ],
) }}

with

{% if is_incremental() %}
{% if fx_ranges_kept() is not none %}
fx_ranges_changed as (

    {{ fx_ranges_changed() }}

),
{% endif %}

touched_users as (

    select user_pseudo_id
    from {{ ref('int_purchases_deduplicated') }}
    where
        events_loaded_at > {{ mart_built_up_to() }}
        or converted_at >= {{ dbt.dateadd('hour', -1 * var('mops_ga4_lookback_hours'), built_up_to('converted_at')) }}
    union
    select user_pseudo_id
    from {{ ref('int_sessions_channel_mapped') }}
    where
        events_loaded_at > {{ mart_built_up_to() }}
        or session_started_at >= {{ dbt.dateadd(
            'hour', -1 * var('mops_ga4_lookback_hours'), built_up_to('converted_at')
        ) }}
    union
    select user_pseudo_id
    from {{ ref('int_user_identities_stitched') }}
    where
        logins_loaded_at > {{ mart_built_up_to() }}
        or logged_in_at >= {{ dbt.dateadd(
            'hour', -1 * var('mops_ga4_lookback_hours'),
            '(select max(logged_in_at) from ' ~ ref('int_user_identities_stitched') ~ ')'
        ) }}
    union
    {% if fx_ranges_kept() is none %}
        -- no FX ranges kept yet (the table was built before they were): every conversion
        select user_pseudo_id from {{ ref('int_purchases_deduplicated') }}
    {% else %}
    -- the revenue currency changed on the conversion's day
    select bought.user_pseudo_id
    from {{ ref('int_purchases_deduplicated') }} as bought
    inner join fx_ranges_changed
        on
            bought.revenue_currency = fx_ranges_changed.currency_code
            and cast(bought.converted_at as date) >= fx_ranges_changed.valid_from
            and (cast(bought.converted_at as date) < fx_ranges_changed.valid_to or fx_ranges_changed.valid_to is null)
    union
    -- the reporting currency changed on its day (or is another currency now)
    select bought.user_pseudo_id
    from {{ ref('int_purchases_deduplicated') }} as bought
    inner join fx_ranges_changed
        on
            fx_ranges_changed.is_reporting_currency
            and cast(bought.converted_at as date) >= fx_ranges_changed.valid_from
            and (cast(bought.converted_at as date) < fx_ranges_changed.valid_to or fx_ranges_changed.valid_to is null)
    {% endif %}

),
{% endif %}

purchases as (

    select * from {{ ref('int_purchases_deduplicated') }}
    {% if is_incremental() %}
        where user_pseudo_id in (select touched_users.user_pseudo_id from touched_users)
    {% endif %}

),

sessions as (

    select * from {{ ref('int_sessions_channel_mapped') }}

),

identities as (

    select * from {{ ref('int_user_identities_stitched') }}

),

last_touches as (

    select * from {{ ref('int_purchases_last_touch_matched') }}

),

final as (

    select
        cast(purchases.transaction_id as varchar) as conversion_id,
        cast(purchases.user_pseudo_id as varchar) as user_pseudo_id,
        cast(coalesce(purchases.user_id, identities.customer_id) as varchar) as customer_id,
        cast(purchases.converted_at as timestamp) as converted_at,
        cast({{ utc_to_local('purchases.converted_at', "'" ~ var('mops_ga4_property_timezone') ~ "'") }} as date)
            as conversion_date,
        cast(purchases.session_key as varchar) as touchpoint_id,
        cast(sessions.channel_id as varchar) as session_channel_id,
        cast(purchases.revenue as numeric(20, 6)) as revenue,
        cast(purchases.revenue_currency as varchar) as revenue_currency,
        cast({{ convert_currency('purchases.revenue', 'fx_from', 'fx_reporting') }} as numeric(20, 6))
            as revenue_in_reporting_currency,
        cast('{{ var("mops_reporting_currency") }}' as varchar) as reporting_currency,
        cast(purchases.duplicate_event_count - 1 as bigint) as duplicate_events_removed,
        cast(last_touches.last_non_direct_touchpoint_id as varchar) as last_non_direct_touchpoint_id,
        cast(last_touches.last_non_direct_channel_id as varchar) as last_non_direct_channel_id,
        cast(last_touches.last_non_direct_touched_at as timestamp) as last_non_direct_touched_at
    from purchases
    left join sessions on purchases.session_key = sessions.session_key
    left join last_touches on purchases.transaction_id = last_touches.transaction_id
    left join identities on purchases.user_pseudo_id = identities.user_pseudo_id
    {{ fx_join('fx_from', 'purchases.revenue_currency', 'cast(purchases.converted_at as date)') }}
    {{ fx_join('fx_reporting', "'" ~ var('mops_reporting_currency') ~ "'", 'cast(purchases.converted_at as date)') }}

),

-- incremental: the new or changed conversions only; the others stay as stored
differing as (

    {% if is_incremental() %}
        {{ rows_differing_from_built('final', 'conversion_id', unique=true) }}
    {% else %}
        select * from final
    {% endif %}

)

select * from differing
