with

performance as (

    select * from {{ ref('int_ad_performance_converted') }}

),

latest_names as (

    select
        platform,
        campaign_id,
        campaign_name,
        account_id,
        row_number() over (partition by platform, campaign_id order by date_day desc) as recency_rank
    from performance

),

activity as (

    select
        platform,
        campaign_id,
        max(channel_id) as channel_id,
        max(account_name) as account_name,
        max(account_currency) as account_currency,
        max(account_time_zone) as account_time_zone,
        min(date_day) as first_active_date,
        max(date_day) as last_active_date
    from performance
    group by platform, campaign_id

),

final as (

    select
        cast({{ dbt.concat(["activity.platform", "':'", "activity.campaign_id"]) }} as varchar) as campaign_key,
        cast(activity.platform as varchar) as platform,
        cast(activity.channel_id as varchar) as channel_id,
        cast(latest_names.account_id as varchar) as account_id,
        cast(activity.account_name as varchar) as account_name,
        cast(activity.account_currency as varchar) as account_currency,
        cast(activity.account_time_zone as varchar) as account_time_zone,
        cast(activity.campaign_id as varchar) as campaign_id,
        cast(latest_names.campaign_name as varchar) as campaign_name,
        cast(activity.first_active_date as date) as first_active_date,
        cast(activity.last_active_date as date) as last_active_date
    from activity
    inner join latest_names
        on
            activity.platform = latest_names.platform
            and activity.campaign_id = latest_names.campaign_id
            and latest_names.recency_rank = 1

)

select * from final
