with

source as (

    select * from {{ source('meta_ads', 'ad_insights') }}

),

renamed as (

    select
        date_start as date_day,
        date_stop,
        account_id,
        account_name,
        account_currency,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        ad_id,
        ad_name,
        cast(spend as numeric(20, 6)) as spend,
        impressions,
        clicks as all_clicks,
        inline_link_clicks,
        coalesce(
            {{ json_list_sum('actions', 'action_type', var('mops_meta_conversion_action_type'), 'value') }}, 0
        ) as conversions,
        _mops_format_version as format_version,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['account_id', 'ad_id', 'date_day']) }} as restatement_rank
    from renamed

),

final as (

    select
        date_day,
        date_stop,
        account_id,
        account_name,
        account_currency,
        campaign_id,
        campaign_name,
        adset_id,
        adset_name,
        ad_id,
        ad_name,
        spend,
        impressions,
        all_clicks,
        inline_link_clicks,
        conversions,
        format_version,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
