{#-
  Every ad account seen in performance data, with its currency and IANA time zone: from the report rows
  where the platform puts them there, else the platform's account export, else the team's account
  settings file (landing/accounts/settings/). A gap is refused by tests/account_metadata_present.sql.
-#}
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

linkedin_campaigns as (

    select * from {{ ref('stg_linkedin_ads__campaigns') }}

),

settings as (

    select * from {{ ref('stg_accounts__settings') }}

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
        google_latest.account_id,
        coalesce(google_latest.account_name, settings.account_name) as account_name,
        coalesce(google_latest.account_currency, settings.account_currency) as account_currency,
        coalesce(google_latest.account_time_zone, settings.account_time_zone) as account_time_zone
    from google_latest
    left join settings
        on settings.platform = 'google_ads' and google_latest.account_id = settings.account_id
    where google_latest.recency_rank = 1

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
        coalesce(meta_accounts.account_name, meta_seen.account_name, settings.account_name) as account_name,
        coalesce(meta_seen.account_currency, meta_accounts.account_currency, settings.account_currency)
            as account_currency,
        coalesce(meta_accounts.account_time_zone, settings.account_time_zone) as account_time_zone
    from meta_seen
    left join meta_accounts on meta_seen.account_id = meta_accounts.account_id
    left join settings on settings.platform = 'meta_ads' and meta_seen.account_id = settings.account_id

),

linkedin_seen as (

    select account_id from linkedin_campaigns
    union
    select account_id from linkedin_accounts

),

linkedin as (

    select
        'linkedin_ads' as platform,
        linkedin_seen.account_id,
        coalesce(linkedin_accounts.account_name, settings.account_name) as account_name,
        coalesce(linkedin_accounts.account_currency, settings.account_currency) as account_currency,
        'UTC' as account_time_zone
    from linkedin_seen
    left join linkedin_accounts on linkedin_seen.account_id = linkedin_accounts.account_id
    left join settings on settings.platform = 'linkedin_ads' and linkedin_seen.account_id = settings.account_id
    where linkedin_seen.account_id is not null

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
        coalesce(tiktok_advertisers.account_name, settings.account_name) as account_name,
        coalesce(tiktok_seen.account_currency, tiktok_advertisers.account_currency, settings.account_currency)
            as account_currency,
        coalesce(tiktok_advertisers.account_time_zone, settings.account_time_zone) as account_time_zone
    from tiktok_seen
    left join tiktok_advertisers on tiktok_seen.account_id = tiktok_advertisers.account_id
    left join settings on settings.platform = 'tiktok_ads' and tiktok_seen.account_id = settings.account_id

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
        coalesce(microsoft_accounts.account_name, microsoft_seen.account_name, settings.account_name)
            as account_name,
        coalesce(microsoft_seen.account_currency, microsoft_accounts.account_currency, settings.account_currency)
            as account_currency,
        coalesce(microsoft_time_zones.iana_time_zone, settings.account_time_zone) as account_time_zone
    from microsoft_seen
    left join microsoft_accounts on microsoft_seen.account_id = microsoft_accounts.account_id
    left join microsoft_time_zones
        on microsoft_accounts.microsoft_time_zone = microsoft_time_zones.microsoft_time_zone
    left join settings on settings.platform = 'microsoft_ads' and microsoft_seen.account_id = settings.account_id

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

),

final as (

    select
        platform,
        account_id,
        account_name,
        account_currency,
        coalesce(account_time_zone, 'UTC') as account_time_zone,
        account_time_zone is not null as has_time_zone_setting
    from unioned

)

select * from final
