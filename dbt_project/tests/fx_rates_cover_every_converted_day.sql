{#-
  Every currency and day that money is converted on needs a rate (the ECB seed starts at its first
  date; currencies outside it need the team's rates). Each failing row's `problem` says which currency
  and days lack one and where to add rates; `mops build` prints them.
-#}
{{ config(store_failures=true, meta={'message': 'money cannot be converted: exchange rates are missing'}) }}

with

performance as (

    select * from {{ ref('int_ad_performance_converted') }}

),

plans as (

    select * from {{ ref('int_budget_plans_spread') }}

),

gaps as (

    select
        spend_currency as currency_code,
        date_day
    from performance
    where spend_in_reporting_currency is null
    union all
    select
        budget_currency as currency_code,
        date_day
    from plans
    where daily_budget_in_reporting_currency is null

),

final as (

    select
        coalesce(currency_code, '(none)') as currency_code,
        'no exchange rate for ' || coalesce(currency_code, '(none)') || ' (or ' || '{{ var("mops_reporting_currency") }}'
        || ') on ' || cast(count(distinct date_day) as varchar) || ' days from ' || cast(min(date_day) as varchar)
        || ' to ' || cast(max(date_day) as varchar) || ': add rates (currency_code, valid_from, units_per_usd) '
        || 'to landing/finance/fx_rates/*.csv and run `mops ingest`' as problem
    from gaps
    group by coalesce(currency_code, '(none)')

)

select * from final
