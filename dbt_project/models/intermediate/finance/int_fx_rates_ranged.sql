with

fx_rates as (

    select * from {{ ref('fx_rates') }}

),

ranged as (

    select
        currency_code,
        valid_from,
        lead(valid_from) over (partition by currency_code order by valid_from) as valid_to,
        units_per_usd
    from fx_rates

)

select * from ranged
