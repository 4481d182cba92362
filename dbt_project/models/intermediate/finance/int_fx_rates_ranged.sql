{#-
  One rate table: the team's own rates (landing/finance/fx_rates/) from each currency's first team row
  on, the ECB reference rates (fx_rates seed) before that and for every other currency.
-#}
with

ecb_rates as (

    select * from {{ ref('fx_rates') }}

),

team_rates as (

    select * from {{ ref('stg_finance__fx_rates') }}

),

team_starts as (

    select
        currency_code,
        min(valid_from) as first_team_day
    from team_rates
    group by currency_code

),

ecb_kept as (

    select
        ecb_rates.currency_code,
        ecb_rates.valid_from,
        ecb_rates.units_per_usd,
        'ecb' as rate_source
    from ecb_rates
    left join team_starts on ecb_rates.currency_code = team_starts.currency_code
    where team_starts.first_team_day is null or ecb_rates.valid_from < team_starts.first_team_day

),

combined as (

    select * from ecb_kept
    union all
    select
        currency_code,
        valid_from,
        units_per_usd,
        'team' as rate_source
    from team_rates

),

ranged as (

    select
        currency_code,
        valid_from,
        lead(valid_from) over (partition by currency_code order by valid_from) as valid_to,
        units_per_usd,
        rate_source
    from combined

)

select * from ranged
