with

source as (

    select * from {{ source('tiktok_ads', 'campaign_report') }}

),

renamed as (

    select
        cast(stat_time_day as date) as date_day,
        advertiser_id as account_id,
        campaign_id,
        campaign_name,
        currency as account_currency,
        cast(spend as numeric(20, 6)) as spend,
        impressions,
        clicks,
        conversion as conversions,
        complete_payment as complete_payments,
        cast(total_complete_payment_rate as numeric(20, 6)) as purchase_value,
        _mops_format_version as format_version,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['account_id', 'campaign_id', 'date_day']) }} as restatement_rank
    from renamed

),

final as (

    select
        date_day,
        account_id,
        campaign_id,
        campaign_name,
        account_currency,
        spend,
        impressions,
        clicks,
        conversions,
        complete_payments,
        purchase_value,
        format_version,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
