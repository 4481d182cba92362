with

source as (

    select * from {{ source('linkedin_ads', 'ad_analytics') }}

),

renamed as (

    select
        make_date(
            cast("dateRange.start.year" as integer),
            cast("dateRange.start.month" as integer),
            cast("dateRange.start.day" as integer)
        ) as date_day,
        replace(
            {{ json_first_string('"pivotValues"', '') }}, 'urn:li:sponsoredCampaign:', ''
        ) as campaign_id,
        impressions,
        clicks,
        cast("costInUsd" as numeric(20, 6)) as cost_in_usd,
        cast("costInLocalCurrency" as numeric(20, 6)) as cost_in_local_currency,
        "externalWebsiteConversions" as external_website_conversions,
        cast("conversionValueInLocalCurrency" as numeric(20, 6)) as conversion_value_in_local_currency,
        _mops_format_version as format_version,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['campaign_id', 'date_day']) }} as restatement_rank
    from renamed

),

final as (

    select
        date_day,
        campaign_id,
        impressions,
        clicks,
        cost_in_usd,
        cost_in_local_currency,
        external_website_conversions,
        conversion_value_in_local_currency,
        format_version,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
