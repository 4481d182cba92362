{#-
  Money in account and reporting currency, and the account-local day's start in UTC.
  Grain: one row per platform, account, campaign and day (account-local day).
-#}
with

performance as (

    select * from {{ ref('int_ad_performance_unioned') }}

),

accounts as (

    select * from {{ ref('int_ad_accounts_unioned') }}

),

channels as (

    select * from {{ ref('channels') }}

),

joined as (

    select
        performance.platform,
        performance.account_id,
        performance.campaign_id,
        performance.campaign_name,
        performance.date_day,
        performance.format_version,
        performance.spend,
        performance.impressions,
        performance.clicks,
        performance.conversions,
        performance.conversion_value,
        performance.source_file,
        coalesce(performance.spend_currency, accounts.account_currency) as spend_currency,
        coalesce(performance.conversion_value_currency, accounts.account_currency) as conversion_value_currency,
        accounts.account_name,
        accounts.account_currency,
        accounts.account_time_zone,
        channels.channel_id
    from performance
    left join accounts
        on
            performance.platform = accounts.platform
            and performance.account_id = accounts.account_id
    left join channels on performance.platform = channels.platform

),

converted as (

    select
        joined.date_day,
        {{ local_midnight_utc('joined.date_day', 'joined.account_time_zone') }} as day_started_at_utc,
        joined.platform,
        joined.channel_id,
        joined.account_id,
        joined.account_name,
        joined.account_time_zone,
        joined.campaign_id,
        joined.campaign_name,
        joined.account_currency,
        '{{ var("mops_reporting_currency") }}' as reporting_currency,
        case
            when joined.spend_currency = joined.account_currency then joined.spend
            else {{ convert_currency('joined.spend', 'fx_spend', 'fx_account') }}
        end as spend_in_account_currency,
        {{ convert_currency('joined.spend', 'fx_spend', 'fx_reporting') }} as spend_in_reporting_currency,
        joined.impressions,
        joined.clicks,
        joined.conversions,
        case
            when joined.conversion_value_currency = joined.account_currency then joined.conversion_value
            else {{ convert_currency('joined.conversion_value', 'fx_value', 'fx_account') }}
        end as conversion_value_in_account_currency,
        {{ convert_currency('joined.conversion_value', 'fx_value', 'fx_reporting') }}
            as conversion_value_in_reporting_currency,
        joined.spend_currency,
        {{ fx_provenance('fx_spend', 'fx_reporting') }},
        joined.format_version as source_format_version,
        joined.source_file
    from joined
    {{ fx_join('fx_spend', 'joined.spend_currency', 'joined.date_day') }}
    {{ fx_join('fx_value', 'joined.conversion_value_currency', 'joined.date_day') }}
    {{ fx_join('fx_account', 'joined.account_currency', 'joined.date_day') }}
    {{ fx_join('fx_reporting', "'" ~ var('mops_reporting_currency') ~ "'", 'joined.date_day') }}

)

select * from converted
