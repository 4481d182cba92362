{#-
  One canonical column set for every platform. Renamed fields are read through canonical_field(),
  which knows each platform's format versions, so history is continuous across a rename.
  Grain: one row per platform, account, campaign and day (account-local day).
-#}
with

google as (

    select * from {{ ref('stg_google_ads__campaign_stats') }}

),

meta as (

    select * from {{ ref('stg_meta_ads__insights') }}

),

linkedin as (

    select * from {{ ref('stg_linkedin_ads__ad_analytics') }}

),

linkedin_campaigns as (

    select * from {{ ref('stg_linkedin_ads__campaigns') }}

),

linkedin_accounts as (

    select * from {{ ref('stg_linkedin_ads__ad_accounts') }}

),

tiktok as (

    select * from {{ ref('stg_tiktok_ads__campaign_reports') }}

),

tiktok_advertisers as (

    select * from {{ ref('stg_tiktok_ads__advertisers') }}

),

microsoft as (

    select * from {{ ref('stg_microsoft_ads__campaign_performance') }}

),

google_mapped as (

    select
        'google_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        date_day,
        format_version,
        spend,
        account_currency as spend_currency,
        impressions,
        clicks,
        cast({{ canonical_field('google_ads.campaign_stats', 'conversions') }} as double precision) as conversions,
        cast({{ canonical_field('google_ads.campaign_stats', 'conversion_value') }} as numeric(20, 6))
            as conversion_value,
        account_currency as conversion_value_currency,
        source_file
    from google

),

meta_mapped as (

    select
        'meta_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        date_day,
        format_version,
        spend,
        account_currency as spend_currency,
        impressions,
        cast({{ canonical_field('meta_ads.insights', 'clicks') }} as bigint) as clicks,
        cast(conversions as double precision) as conversions,
        cast(conversion_value as numeric(20, 6)) as conversion_value,
        account_currency as conversion_value_currency,
        source_file
    from meta

),

linkedin_mapped as (

    select
        'linkedin_ads' as platform,
        linkedin_campaigns.account_id,
        linkedin.campaign_id,
        linkedin_campaigns.campaign_name,
        linkedin.date_day,
        linkedin.format_version,
        {{ canonical_field('linkedin_ads.ad_analytics', 'spend', 'linkedin.format_version') }} as spend,
        {{ canonical_field_currency(
            'linkedin_ads.ad_analytics', 'spend', 'linkedin_accounts.account_currency', 'linkedin.format_version'
        ) }} as spend_currency,
        linkedin.impressions,
        linkedin.clicks,
        cast(linkedin.external_website_conversions as double precision) as conversions,
        cast(coalesce(linkedin.conversion_value_in_local_currency, 0) as numeric(20, 6)) as conversion_value,
        linkedin_accounts.account_currency as conversion_value_currency,
        linkedin.source_file
    from linkedin
    left join linkedin_campaigns on linkedin.campaign_id = linkedin_campaigns.campaign_id
    left join linkedin_accounts on linkedin_campaigns.account_id = linkedin_accounts.account_id

),

tiktok_mapped as (

    select
        'tiktok_ads' as platform,
        tiktok.account_id,
        tiktok.campaign_id,
        tiktok.campaign_name,
        tiktok.date_day,
        tiktok.format_version,
        tiktok.spend,
        coalesce(tiktok.account_currency, tiktok_advertisers.account_currency) as spend_currency,
        tiktok.impressions,
        tiktok.clicks,
        cast(tiktok.conversions as double precision) as conversions,
        cast(coalesce(tiktok.purchase_value, 0) as numeric(20, 6)) as conversion_value,
        coalesce(tiktok.account_currency, tiktok_advertisers.account_currency) as conversion_value_currency,
        tiktok.source_file
    from tiktok
    left join tiktok_advertisers on tiktok.account_id = tiktok_advertisers.account_id

),

microsoft_mapped as (

    select
        'microsoft_ads' as platform,
        account_id,
        campaign_id,
        campaign_name,
        date_day,
        format_version,
        spend,
        account_currency as spend_currency,
        impressions,
        clicks,
        cast(conversions as double precision) as conversions,
        revenue as conversion_value,
        account_currency as conversion_value_currency,
        source_file
    from microsoft

),

unioned as (

    select * from google_mapped
    union all
    select * from meta_mapped
    union all
    select * from linkedin_mapped
    union all
    select * from tiktok_mapped
    union all
    select * from microsoft_mapped

)

select * from unioned
