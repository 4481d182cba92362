with

source as (

    select * from {{ source('finance', 'fx_rates') }}

),

renamed as (

    select
        upper(trim(currency_code)) as currency_code,
        valid_from,
        cast(units_per_usd as double precision) as units_per_usd,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['currency_code', 'valid_from']) }} as restatement_rank
    from renamed

),

final as (

    select
        currency_code,
        valid_from,
        units_per_usd,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
