with

source as (

    select * from {{ source('tiktok_ads', 'advertisers') }}

),

renamed as (

    select
        advertiser_id as account_id,
        "name" as account_name,
        currency as account_currency,
        timezone as account_time_zone,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['account_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        account_id,
        account_name,
        account_currency,
        account_time_zone,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
