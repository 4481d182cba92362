{#-
  Every ad account needs a currency and a time zone, and every LinkedIn campaign an account. Each
  failing row's `problem` says what to export and where to drop it; `mops build` prints them.
-#}
{{ config(store_failures=true, meta={'message': 'ad accounts lack a currency or time zone'}) }}

with

accounts as (

    select * from {{ ref('int_ad_accounts_unioned') }}

),

performance as (

    select * from {{ ref('int_ad_performance_unioned') }}

),

exports as (

    select *
    from (
        values
        ('google_ads', 'include customer.currency_code and customer.time_zone in the Google Ads report', 'landing/google_ads/campaign_stats/'),
        ('meta_ads', 'export the Meta ad accounts (GET /act_<id>?fields=account_id,name,currency,timezone_name)', 'landing/meta_ads/ad_accounts/'),
        ('linkedin_ads', 'export the LinkedIn ad accounts (GET /adAccounts)', 'landing/linkedin_ads/ad_accounts/'),
        ('tiktok_ads', 'export the TikTok advertisers (GET /advertiser/info/)', 'landing/tiktok_ads/advertisers/'),
        ('microsoft_ads', 'export the Microsoft Advertising accounts (GetAccount)', 'landing/microsoft_ads/accounts/')
    ) as hints (platform, export_hint, landing_folder)

),

gaps as (

    select
        accounts.platform,
        accounts.account_id,
        'currency' as missing
    from accounts
    where accounts.account_currency is null
    union all
    select
        accounts.platform,
        accounts.account_id,
        'time zone' as missing
    from accounts
    where not accounts.has_time_zone_setting

),

account_problems as (

    select
        gaps.platform,
        gaps.account_id,
        gaps.platform || ' account ' || gaps.account_id || ' has no ' || gaps.missing || ': '
        || exports.export_hint || ' into ' || exports.landing_folder
        || ', or add a row (platform, account_id, currency_code, time_zone) to landing/accounts/settings/*.csv'
            as problem
    from gaps
    inner join exports on gaps.platform = exports.platform

),

campaign_problems as (

    select distinct
        performance.platform,
        cast(null as varchar) as account_id,
        'linkedin_ads campaign ' || performance.campaign_id || ' has no account: export the LinkedIn campaigns '
        || '(GET /adCampaigns) into landing/linkedin_ads/campaigns/' as problem
    from performance
    where performance.account_id is null

),

final as (

    select * from account_problems
    union all
    select * from campaign_problems

)

select * from final
