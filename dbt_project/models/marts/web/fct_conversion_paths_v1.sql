with

journeys as (

    select * from {{ ref('int_conversion_paths_built') }}

),

final as (

    select
        cast(journeys.journey_id as varchar) as journey_id,
        cast(journeys.user_pseudo_id as varchar) as user_pseudo_id,
        cast(journeys.conversion_id as varchar) as conversion_id,
        cast(journeys.is_converted as boolean) as is_converted,
        cast(journeys.converted_at as timestamp) as converted_at,
        cast(
            {{ convert_currency('coalesce(journeys.revenue, 0)', 'fx_from', 'fx_reporting') }} as numeric(20, 6)
        ) as conversion_value_in_reporting_currency,
        cast(journeys.touch_count as bigint) as touch_count,
        cast(journeys.first_touched_at as timestamp) as first_touched_at,
        cast(journeys.last_touched_at as timestamp) as last_touched_at,
        cast(journeys.channel_path as varchar) as channel_path,
        cast(journeys.touch_hours_before_end as varchar) as touch_hours_before_end
    from journeys
    {{ fx_join('fx_from', "coalesce(journeys.revenue_currency, 'USD')", 'cast(journeys.last_touched_at as date)') }}
    {{ fx_join('fx_reporting', "'" ~ var('mops_reporting_currency') ~ "'", 'cast(journeys.last_touched_at as date)') }}

)

select * from final
