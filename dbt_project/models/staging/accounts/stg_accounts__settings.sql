with

source as (

    select * from {{ source('accounts', 'settings') }}

),

renamed as (

    select
        lower(trim(platform)) as platform,
        cast(account_id as varchar) as account_id,
        upper(trim(currency_code)) as account_currency,
        nullif(trim(time_zone), '') as account_time_zone,
        account_name,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['platform', 'account_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        platform,
        account_id,
        account_currency,
        account_time_zone,
        account_name,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
