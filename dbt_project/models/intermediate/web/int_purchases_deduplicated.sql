{#-
  GA4 purchase events, one per transaction: tags sometimes fire twice, so the first event of each
  transaction_id is kept. Incremental: every transaction with an event loaded since the last build (or
  within the GA4 lookback) is rebuilt from all its events. Grain: one row per transaction_id.
-#}
{{ config(unique_key='transaction_id') }}

with

purchase_events as (

    select * from {{ ref('int_ga4_events_sessionized') }}
    where event_name = 'purchase' and transaction_id is not null

),

{% if is_incremental() %}
touched_transactions as (

    select distinct transaction_id
    from purchase_events
    where
        loaded_at > {{ built_up_to('events_loaded_at') }}
        or event_at >= {{ ga4_lookback_start('converted_at') }}

),
{% endif %}

events as (

    select purchase_events.*
    from purchase_events
    {% if is_incremental() %}
        inner join touched_transactions on purchase_events.transaction_id = touched_transactions.transaction_id
    {% endif %}

),

ranked as (

    select
        *,
        count(*) over (partition by transaction_id) as duplicate_event_count,
        max(loaded_at) over (partition by transaction_id) as events_loaded_at,
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
        duplicate_event_count,
        events_loaded_at
    from ranked
    where event_rank = 1

)

select * from final
