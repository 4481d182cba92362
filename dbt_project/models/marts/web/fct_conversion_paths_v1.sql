{#-
  Incremental (see macros/incremental.sql), replaced by user: a build rewrites every journey of a browser
  whose journeys int_conversion_paths_built rebuilt from inputs loaded since this mart's watermark (a
  journey's inputs_loaded_at), that has a purchase loaded since (a late purchase renumbers the journeys
  after it, also where its own journey has no touch), or a journey within the GA4 lookback of the newest
  touch it holds; and every journey whose revenue converts through an FX range that changed since the
  last build. Each from its whole upstream row; a browser whose journeys all come out as stored is not
  written again. Grain: one row per journey.
-#}
{{ config(
    materialized='incremental',
    unique_key='user_pseudo_id',
    post_hook=[
        "{{ record_mart_watermark({
            'int_conversion_paths_built': 'inputs_loaded_at', 'int_purchases_deduplicated': 'events_loaded_at'
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
    from {{ ref('int_conversion_paths_built') }}
    where
        inputs_loaded_at > {{ mart_built_up_to() }}
        or last_touched_at >= {{ dbt.dateadd(
            'hour', -1 * var('mops_ga4_lookback_hours'), built_up_to('last_touched_at')
        ) }}
    union
    select user_pseudo_id
    from {{ ref('int_purchases_deduplicated') }}
    where events_loaded_at > {{ mart_built_up_to() }}
    union
    {% if fx_ranges_kept() is none %}
        -- no FX ranges kept yet (the table was built before they were): every journey
        select user_pseudo_id from {{ ref('int_conversion_paths_built') }}
    {% else %}
    -- the journey's own currency changed on its day
    select built.user_pseudo_id
    from {{ ref('int_conversion_paths_built') }} as built
    inner join fx_ranges_changed
        on
            coalesce(built.revenue_currency, 'USD') = fx_ranges_changed.currency_code
            and cast(built.last_touched_at as date) >= fx_ranges_changed.valid_from
            and (cast(built.last_touched_at as date) < fx_ranges_changed.valid_to or fx_ranges_changed.valid_to is null)
    union
    -- the reporting currency changed on its day (or is another currency now)
    select built.user_pseudo_id
    from {{ ref('int_conversion_paths_built') }} as built
    inner join fx_ranges_changed
        on
            fx_ranges_changed.is_reporting_currency
            and cast(built.last_touched_at as date) >= fx_ranges_changed.valid_from
            and (cast(built.last_touched_at as date) < fx_ranges_changed.valid_to or fx_ranges_changed.valid_to is null)
    {% endif %}

),
{% endif %}

journeys as (

    select * from {{ ref('int_conversion_paths_built') }}
    {% if is_incremental() %}
        where user_pseudo_id in (select touched_users.user_pseudo_id from touched_users)
    {% endif %}

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

),

-- incremental: every journey of a browser with a journey new, changed or gone; the others stay as stored
differing as (

    {% if is_incremental() %}
        {{ rows_differing_from_built('final', 'user_pseudo_id', unique=false) }}
    {% else %}
        select * from final
    {% endif %}

)

select * from differing
