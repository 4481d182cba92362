{#-
  A GA4 browser (user_pseudo_id) belongs to the CRM contact it logged in as (user_id); the latest
  login wins when a shared browser saw several. Incremental: every browser with a login event loaded since
  the last build (or within the GA4 lookback) is rebuilt from all its logins. Grain: one row per user_pseudo_id.
-#}
{{ config(unique_key='user_pseudo_id') }}

with

login_events as (

    select * from {{ ref('stg_ga4__events') }}
    where user_id is not null

),

{% if is_incremental() %}
touched_users as (

    select distinct user_pseudo_id
    from login_events
    where
        loaded_at > {{ built_up_to('logins_loaded_at') }}
        or event_at >= {{ ga4_lookback_start('logged_in_at') }}

),
{% endif %}

events as (

    select login_events.*
    from login_events
    {% if is_incremental() %}
        inner join touched_users on login_events.user_pseudo_id = touched_users.user_pseudo_id
    {% endif %}

),

ranked as (

    select
        user_pseudo_id,
        user_id,
        event_at,
        max(loaded_at) over (partition by user_pseudo_id) as logins_loaded_at,
        row_number() over (partition by user_pseudo_id order by event_at desc, event_id asc) as login_rank
    from events

),

final as (

    select
        user_pseudo_id,
        user_id as customer_id,
        event_at as logged_in_at,
        logins_loaded_at
    from ranked
    where login_rank = 1

)

select * from final
