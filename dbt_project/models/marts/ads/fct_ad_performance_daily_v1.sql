with

performance as (

    select * from {{ ref('int_ad_performance_converted') }}

),

final as (

    select
        cast(
            {{ dbt.concat(["platform", "':'", "account_id", "':'", "campaign_id", "':'", "cast(date_day as varchar)"]) }}
            as varchar
        ) as ad_performance_id,
        cast(date_day as date) as date_day,
        cast(day_started_at_utc as timestamp) as day_started_at_utc,
        cast(platform as varchar) as platform,
        cast(channel_id as varchar) as channel_id,
        cast(account_id as varchar) as account_id,
        cast(campaign_id as varchar) as campaign_id,
        cast({{ dbt.concat(["platform", "':'", "campaign_id"]) }} as varchar) as campaign_key,
        cast(account_currency as varchar) as account_currency,
        cast(reporting_currency as varchar) as reporting_currency,
        cast(spend_in_account_currency as numeric(20, 6)) as spend_in_account_currency,
        cast(spend_in_reporting_currency as numeric(20, 6)) as spend_in_reporting_currency,
        cast(impressions as bigint) as impressions,
        cast(clicks as bigint) as clicks,
        cast(conversions as double precision) as conversions,
        cast(conversion_value_in_account_currency as numeric(20, 6)) as conversion_value_in_account_currency,
        cast(conversion_value_in_reporting_currency as numeric(20, 6)) as conversion_value_in_reporting_currency,
        cast(source_format_version as varchar) as source_format_version
    from performance

)

select * from final
