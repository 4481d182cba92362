with

plan_days as (

    select * from {{ ref('int_budget_plans_spread') }}

),

per_channel_day as (

    select
        channel_id,
        date_day,
        reporting_currency,
        count(*) as plan_line_count,
        sum(daily_budget_in_reporting_currency) as daily_budget_in_reporting_currency
    from plan_days
    group by channel_id, date_day, reporting_currency

),

with_month as (

    select
        *,
        sum(daily_budget_in_reporting_currency) over (
            partition by channel_id, {{ dbt.date_trunc('month', 'date_day') }}
        ) as month_budget_in_reporting_currency
    from per_channel_day

),

final as (

    select
        cast({{ dbt.concat(["channel_id", "':'", "cast(date_day as varchar)"]) }} as varchar) as budget_plan_daily_id,
        cast(date_day as date) as date_day,
        cast(channel_id as varchar) as channel_id,
        cast(plan_line_count as bigint) as plan_line_count,
        cast(daily_budget_in_reporting_currency as numeric(20, 6)) as daily_budget_in_reporting_currency,
        cast(month_budget_in_reporting_currency as numeric(20, 6)) as month_budget_in_reporting_currency,
        cast(reporting_currency as varchar) as reporting_currency
    from with_month

)

select * from final
