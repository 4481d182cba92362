with

source as (

    select * from {{ source('microsoft_ads', 'campaign_performance') }}

),

renamed as (

    select
        "TimePeriod" as date_day,
        cast("AccountId" as varchar) as account_id,
        "AccountName" as account_name,
        cast("CampaignId" as varchar) as campaign_id,
        "CampaignName" as campaign_name,
        "CampaignStatus" as campaign_status,
        "CurrencyCode" as account_currency,
        cast("Spend" as numeric(20, 6)) as spend,
        "Impressions" as impressions,
        "Clicks" as clicks,
        "Conversions" as conversions,
        cast("Revenue" as numeric(20, 6)) as revenue,
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
        campaign_id,
        campaign_name,
        campaign_status,
        account_currency,
        spend,
        impressions,
        clicks,
        conversions,
        revenue,
        format_version,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
