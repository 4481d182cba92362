{#-
  Ad-level spend in account and reporting currency, with the channel of the platform.
  Grain: one row per platform, account, ad and day (account-local day).
-#}
with

creatives as (

    select * from {{ ref('int_ad_creatives_unioned') }}

),

accounts as (

    select * from {{ ref('int_ad_accounts_unioned') }}

),

channels as (

    select * from {{ ref('channels') }}

),

joined as (

    select
        creatives.*,
        coalesce(accounts.account_currency, creatives.spend_currency) as account_currency,
        channels.channel_id
    from creatives
    left join accounts
        on
            creatives.platform = accounts.platform
            and creatives.account_id = accounts.account_id
    left join channels on creatives.platform = channels.platform

),

converted as (

    select
        joined.date_day,
        joined.platform,
        joined.channel_id,
        joined.account_id,
        joined.campaign_id,
        joined.ad_group_id,
        joined.ad_group_name,
        joined.ad_id,
        joined.ad_name,
        joined.headline,
        joined.body,
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
        joined.source_file
    from joined
    {{ fx_join('fx_spend', 'joined.spend_currency', 'joined.date_day') }}
    {{ fx_join('fx_account', 'joined.account_currency', 'joined.date_day') }}
    {{ fx_join('fx_reporting', "'" ~ var('mops_reporting_currency') ~ "'", 'joined.date_day') }}

)

select * from converted
