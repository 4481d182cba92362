{#-
  GA4 purchase events, one per transaction: tags sometimes fire twice, so the first event of each
  transaction_id is kept. Grain: one row per transaction_id.
-#}
with

events as (

    select * from {{ ref('int_ga4_events_sessionized') }}
    where event_name = 'purchase' and transaction_id is not null

),

ranked as (

    select
        *,
        count(*) over (partition by transaction_id) as duplicate_event_count,
        row_number() over (partition by transaction_id order by event_at, event_id) as event_rank
    from events

),

final as (

    select
        transaction_id,
        event_id,
        event_at as converted_at,
        event_date,
        user_pseudo_id,
        user_id,
        {{ dbt.concat(['user_pseudo_id', "'-'", 'cast(ga_session_id as varchar)']) }} as session_key,
        coalesce(purchase_revenue_in_usd, purchase_revenue) as revenue,
        case when purchase_revenue_in_usd is not null then 'USD' else coalesce(event_currency, 'USD') end
            as revenue_currency,
        duplicate_event_count
    from ranked
    where event_rank = 1

)

select * from final
