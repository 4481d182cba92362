{#-
  A GA4 browser (user_pseudo_id) belongs to the CRM contact it logged in as (user_id); the latest
  login wins when a shared browser saw several. Grain: one row per user_pseudo_id.
-#}
with

events as (

    select * from {{ ref('stg_ga4__events') }}
    where user_id is not null

),

ranked as (

    select
        user_pseudo_id,
        user_id,
        row_number() over (partition by user_pseudo_id order by event_at desc, event_id asc) as login_rank
    from events

),

final as (

    select
        user_pseudo_id,
        user_id as customer_id
    from ranked
    where login_rank = 1

)

select * from final
