with

source as (

    select * from {{ source('microsoft_ads', 'accounts') }}

),

renamed as (

    select
        cast("Id" as varchar) as account_id,
        "Name" as account_name,
        "CurrencyCode" as account_currency,
        "TimeZone" as microsoft_time_zone,
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
        microsoft_time_zone,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
