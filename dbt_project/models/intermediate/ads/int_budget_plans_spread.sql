{#-
  Each plan period spread evenly over its days and converted to the reporting currency at each
  day's rate. Grain: one row per plan period (channel, start_date) and day.
-#}
with

plans as (

    select * from {{ ref('stg_plan__budget_plans') }}

),

days as (

    {{ dbt.date_spine('day', "cast('2020-01-01' as date)", "cast('2031-01-01' as date)") }}

),

spread as (

    select
        plans.channel_id,
        plans.start_date,
        plans.end_date,
        plans.budget_currency,
        plans.source_file,
        cast(days.date_day as date) as date_day,
        cast(plans.budget_amount as double precision)
        / (({{ dbt.datediff('plans.start_date', 'plans.end_date', 'day') }}) + 1)
            as daily_budget
    from plans
    inner join days
        on
            cast(days.date_day as date) >= plans.start_date
            and cast(days.date_day as date) <= plans.end_date

),

converted as (

    select
        spread.channel_id,
        spread.start_date,
        spread.date_day,
        spread.budget_currency,
        spread.daily_budget as daily_budget_in_plan_currency,
        '{{ var("mops_reporting_currency") }}' as reporting_currency,
        {{ convert_currency('spread.daily_budget', 'fx_plan', 'fx_reporting') }}
            as daily_budget_in_reporting_currency,
        spread.source_file
    from spread
    {{ fx_join('fx_plan', 'spread.budget_currency', 'spread.date_day') }}
    {{ fx_join('fx_reporting', "'" ~ var('mops_reporting_currency') ~ "'", 'spread.date_day') }}

)

select * from converted
