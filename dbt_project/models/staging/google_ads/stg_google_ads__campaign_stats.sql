with

source as (

    select * from {{ source('google_ads', 'campaign_stats') }}

),

renamed as (

    select
        "segments.date" as date_day,
        cast("customer.id" as varchar) as account_id,
        "customer.descriptive_name" as account_name,
        "customer.currency_code" as account_currency,
        "customer.time_zone" as account_time_zone,
        cast("campaign.id" as varchar) as campaign_id,
        "campaign.name" as campaign_name,
        "campaign.status" as campaign_status,
        "metrics.cost_micros" as cost_micros,
        cast("metrics.cost_micros" as double precision) / 1000000 as spend,
        "metrics.impressions" as impressions,
        "metrics.clicks" as clicks,
        "metrics.conversions" as conversions,
        "metrics.conversions_value" as conversions_value,
        "metrics.all_conversions" as all_conversions,
        "metrics.all_conversions_value" as all_conversions_value,
        _mops_format_version as format_version,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['account_id', 'campaign_id', 'date_day']) }} as restatement_rank
    from renamed

),

final as (

    select
        date_day,
        account_id,
        account_name,
        account_currency,
        account_time_zone,
        campaign_id,
        campaign_name,
        campaign_status,
        cost_micros,
        spend,
        impressions,
        clicks,
        conversions,
        conversions_value,
        all_conversions,
        all_conversions_value,
        format_version,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
