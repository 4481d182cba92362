with

creatives as (

    select * from {{ ref('int_ad_creatives_converted') }}

),

final as (

    select
        cast(
            {{ dbt.concat(["platform", "':'", "account_id", "':'", "ad_id", "':'", "cast(date_day as varchar)"]) }}
            as varchar
        ) as ad_creative_daily_id,
        cast(date_day as date) as date_day,
        cast(platform as varchar) as platform,
        cast(channel_id as varchar) as channel_id,
        cast(account_id as varchar) as account_id,
        cast(campaign_id as varchar) as campaign_id,
        cast({{ dbt.concat(["platform", "':'", "campaign_id"]) }} as varchar) as campaign_key,
        cast(ad_group_id as varchar) as ad_group_id,
        cast(ad_group_name as varchar) as ad_group_name,
        cast(ad_id as varchar) as ad_id,
        cast({{ dbt.concat(["platform", "':'", "ad_id"]) }} as varchar) as ad_key,
        cast(ad_name as varchar) as ad_name,
        cast(headline as varchar) as headline,
        cast(body as varchar) as body,
        cast(account_currency as varchar) as account_currency,
        cast(reporting_currency as varchar) as reporting_currency,
        cast(spend_in_account_currency as numeric(20, 6)) as spend_in_account_currency,
        cast(spend_in_reporting_currency as numeric(20, 6)) as spend_in_reporting_currency,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(conversions as double precision) as conversions
    from creatives

)

select * from final
