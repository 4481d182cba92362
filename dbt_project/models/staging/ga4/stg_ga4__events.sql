{{ config(unique_key='event_id') }}

with

source as (

    select * from {{ source('ga4', 'events') }}
    {% if is_incremental() %}
        -- files loaded since the last build, and the lookback GA4 may still add events to; every version
        -- of an event shares its timestamp, so its latest version is always among the rows read
        where
            _mops_loaded_at > {{ built_up_to('loaded_at') }}
            or event_timestamp >= {{ built_up_to('event_timestamp_micros', '0') }}
            - {{ var('mops_ga4_lookback_hours') }} * cast(3600000000 as bigint)
    {% endif %}

),

renamed as (

    select
        {{ dbt.hash(dbt.concat(['user_pseudo_id', "'|'", 'cast(event_timestamp as varchar)', "'|'", 'event_name'])) }}
            as event_id,
        event_date,
        event_timestamp as event_timestamp_micros,
        {{ timestamp_from_micros('event_timestamp') }} as event_at,
        event_name,
        user_pseudo_id,
        user_id,
        cast({{ ga4_event_param('event_params', 'ga_session_id', 'int_value') }} as bigint) as ga_session_id,
        {{ ga4_event_param('event_params', 'page_location', 'string_value') }} as page_location,
        coalesce(
            "collected_traffic_source.manual_source",
            {{ ga4_event_param('event_params', 'source', 'string_value') }}
        ) as session_source,
        coalesce(
            "collected_traffic_source.manual_medium",
            {{ ga4_event_param('event_params', 'medium', 'string_value') }}
        ) as session_medium,
        coalesce(
            "collected_traffic_source.manual_campaign_name",
            {{ ga4_event_param('event_params', 'campaign', 'string_value') }}
        ) as session_campaign_name,
        "collected_traffic_source.manual_campaign_id" as session_campaign_id,
        -- GA4's own last-click attribution of the session (exports since 2024-07), where present; the
        -- cross-channel campaign's name and id are not read: their flattened names exceed PostgreSQL's
        -- 63-character identifiers
        coalesce(
            "session_traffic_source_last_click.cross_channel_campaign.source",
            "session_traffic_source_last_click.manual_campaign.source"
        ) as last_click_source,
        coalesce(
            "session_traffic_source_last_click.cross_channel_campaign.medium",
            "session_traffic_source_last_click.manual_campaign.medium"
        ) as last_click_medium,
        "session_traffic_source_last_click.manual_campaign.campaign_name" as last_click_campaign_name,
        "session_traffic_source_last_click.manual_campaign.campaign_id" as last_click_campaign_id,
        "collected_traffic_source.gclid" as gclid,
        "traffic_source.source" as first_user_source,
        "traffic_source.medium" as first_user_medium,
        "traffic_source.name" as first_user_campaign_name,
        "ecommerce.transaction_id" as transaction_id,
        "ecommerce.purchase_revenue" as purchase_revenue,
        "ecommerce.purchase_revenue_in_usd" as purchase_revenue_in_usd,
        {{ ga4_event_param('event_params', 'currency', 'string_value') }} as event_currency,
        "device.category" as device_category,
        "geo.country" as geo_country,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['event_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        event_id,
        event_date,
        event_timestamp_micros,
        event_at,
        event_name,
        user_pseudo_id,
        user_id,
        ga_session_id,
        page_location,
        session_source,
        session_medium,
        session_campaign_name,
        session_campaign_id,
        last_click_source,
        last_click_medium,
        last_click_campaign_name,
        last_click_campaign_id,
        gclid,
        first_user_source,
        first_user_medium,
        first_user_campaign_name,
        transaction_id,
        purchase_revenue,
        purchase_revenue_in_usd,
        event_currency,
        device_category,
        geo_country,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
