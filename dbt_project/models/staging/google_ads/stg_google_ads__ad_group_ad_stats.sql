with

source as (

    select * from {{ source('google_ads', 'ad_group_ad_stats') }}

),

renamed as (

    select
        "segments.date" as date_day,
        cast("customer.id" as varchar) as account_id,
        "customer.descriptive_name" as account_name,
        "customer.currency_code" as account_currency,
        cast("campaign.id" as varchar) as campaign_id,
        "campaign.name" as campaign_name,
        cast("ad_group.id" as varchar) as ad_group_id,
        "ad_group.name" as ad_group_name,
        cast("ad_group_ad.ad.id" as varchar) as ad_id,
        "ad_group_ad.ad.type" as ad_type,
        "ad_group_ad.status" as ad_status,
        "ad_group_ad.ad.responsive_search_ad.headlines" as headlines_json,
        "ad_group_ad.ad.responsive_search_ad.descriptions" as descriptions_json,
        {{ json_list_join('"ad_group_ad.ad.responsive_search_ad.headlines"', 'text', ' | ') }} as headlines,
        {{ json_list_join('"ad_group_ad.ad.responsive_search_ad.descriptions"', 'text', ' ') }} as descriptions,
        "metrics.cost_micros" as cost_micros,
        cast("metrics.cost_micros" as double precision) / 1000000 as spend,
        "metrics.impressions" as impressions,
        "metrics.clicks" as clicks,
        "metrics.conversions" as conversions,
        _mops_format_version as format_version,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['account_id', 'ad_group_id', 'ad_id', 'date_day']) }} as restatement_rank
    from renamed

),

final as (

    select
        date_day,
        account_id,
        account_name,
        account_currency,
        campaign_id,
        campaign_name,
        ad_group_id,
        ad_group_name,
        ad_id,
        ad_type,
        ad_status,
        headlines_json,
        descriptions_json,
        headlines,
        descriptions,
        cost_micros,
        spend,
        impressions,
        clicks,
        conversions,
        format_version,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
