{#-
  Ad-level rows of the platforms that export creative text, in one canonical column set: the copy as a
  headline (Google: headline assets joined; Meta: the creative's title) and a body (Google: descriptions
  joined; Meta: the creative's primary text).
  Grain: one row per platform, account, ad and day (account-local day).
-#}
with

google as (

    select * from {{ ref('stg_google_ads__ad_group_ad_stats') }}

),

meta_insights as (

    select * from {{ ref('stg_meta_ads__ad_insights') }}

),

meta_ads as (

    select * from {{ ref('stg_meta_ads__ads') }}

),

google_mapped as (

    select
        'google_ads' as platform,
        account_id,
        campaign_id,
        ad_group_id,
        ad_id,
        ad_group_name,
        cast(null as varchar) as ad_name,
        headlines as headline,
        descriptions as body,
        date_day,
        spend,
        account_currency as spend_currency,
        impressions,
        clicks,
        cast(conversions as double precision) as conversions,
        source_file
    from google

),

meta_mapped as (

    select
        'meta_ads' as platform,
        meta_insights.account_id,
        meta_insights.campaign_id,
        meta_insights.adset_id as ad_group_id,
        meta_insights.ad_id,
        meta_insights.adset_name as ad_group_name,
        coalesce(meta_ads.ad_name, meta_insights.ad_name) as ad_name,
        meta_ads.creative_title as headline,
        meta_ads.creative_body as body,
        meta_insights.date_day,
        meta_insights.spend,
        meta_insights.account_currency as spend_currency,
        meta_insights.impressions,
        meta_insights.inline_link_clicks as clicks,
        cast(meta_insights.conversions as double precision) as conversions,
        meta_insights.source_file
    from meta_insights
    left join meta_ads on meta_insights.ad_id = meta_ads.ad_id

),

unioned as (

    select * from google_mapped
    union all
    select * from meta_mapped

)

select * from unioned
