with

purchases as (

    select * from {{ ref('int_purchases_deduplicated') }}

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

)

select * from final
