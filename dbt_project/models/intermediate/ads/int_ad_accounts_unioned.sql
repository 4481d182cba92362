{#- Every ad account seen in performance data, with its currency and IANA time zone. -#}
with

google_stats as (

    select * from {{ ref('stg_google_ads__campaign_stats') }}

),

meta_insights as (

    select * from {{ ref('stg_meta_ads__insights') }}

),

meta_accounts as (

    select * from {{ ref('stg_meta_ads__ad_accounts') }}

),

linkedin_accounts as (

    select * from {{ ref('stg_linkedin_ads__ad_accounts') }}

),

tiktok_reports as (

    select * from {{ ref('stg_tiktok_ads__campaign_reports') }}

),

tiktok_advertisers as (

    select * from {{ ref('stg_tiktok_ads__advertisers') }}

),

microsoft_performance as (

    select * from {{ ref('stg_microsoft_ads__campaign_performance') }}

),

microsoft_accounts as (

    select * from {{ ref('stg_microsoft_ads__accounts') }}

),

microsoft_time_zones as (

    select * from {{ ref('microsoft_ads_time_zones') }}

),

google_latest as (

    select
        account_id,
        account_name,
        account_currency,
        account_time_zone,
        row_number() over (partition by account_id order by date_day desc, loaded_at desc) as recency_rank
    from google_stats

),

google as (

    select
        'google_ads' as platform,
        account_id,
        account_name,
        account_currency,
        account_time_zone,
        true as has_time_zone_setting
    from google_latest
    where recency_rank = 1

),

meta_seen as (

    select
        account_id,
        max(account_name) as account_name,
        max(account_currency) as account_currency
    from meta_insights
    group by account_id

),

meta as (

    select
        'meta_ads' as platform,
        meta_seen.account_id,
        coalesce(meta_accounts.account_name, meta_seen.account_name) as account_name,
        coalesce(meta_accounts.account_currency, meta_seen.account_currency) as account_currency,
        coalesce(meta_accounts.account_time_zone, 'UTC') as account_time_zone,
        meta_accounts.account_time_zone is not null as has_time_zone_setting
    from meta_seen
    left join meta_accounts on meta_seen.account_id = meta_accounts.account_id

),

linkedin as (

    select
        'linkedin_ads' as platform,
        account_id,
        account_name,
        account_currency,
        'UTC' as account_time_zone,
        true as has_time_zone_setting
    from linkedin_accounts

),

tiktok_seen as (

    select
        account_id,
        max(account_currency) as account_currency
    from tiktok_reports
    group by account_id

),

tiktok as (

    select
        'tiktok_ads' as platform,
        tiktok_seen.account_id,
        tiktok_advertisers.account_name,
        coalesce(tiktok_advertisers.account_currency, tiktok_seen.account_currency) as account_currency,
        coalesce(tiktok_advertisers.account_time_zone, 'UTC') as account_time_zone,
        tiktok_advertisers.account_time_zone is not null as has_time_zone_setting
    from tiktok_seen
    left join tiktok_advertisers on tiktok_seen.account_id = tiktok_advertisers.account_id

),

microsoft_seen as (

    select
        account_id,
        max(account_name) as account_name,
        max(account_currency) as account_currency
    from microsoft_performance
    group by account_id

),

microsoft as (

    select
        'microsoft_ads' as platform,
        microsoft_seen.account_id,
        coalesce(microsoft_accounts.account_name, microsoft_seen.account_name) as account_name,
        coalesce(microsoft_accounts.account_currency, microsoft_seen.account_currency) as account_currency,
        coalesce(microsoft_time_zones.iana_time_zone, 'UTC') as account_time_zone,
        microsoft_time_zones.iana_time_zone is not null as has_time_zone_setting
    from microsoft_seen
    left join microsoft_accounts on microsoft_seen.account_id = microsoft_accounts.account_id
    left join microsoft_time_zones
        on microsoft_accounts.microsoft_time_zone = microsoft_time_zones.microsoft_time_zone

),

unioned as (

    select * from google
    union all
    select * from meta
    union all
    select * from linkedin
    union all
    select * from tiktok
    union all
    select * from microsoft

)

select * from unioned
