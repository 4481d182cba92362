with

contacts as (

    select * from {{ ref('stg_hubspot__contacts') }}

),

deals as (

    select * from {{ ref('stg_hubspot__deals') }}

),

conversions as (

    select * from {{ ref('fct_conversions', v=1) }}

),

identities as (

    select * from {{ ref('int_user_identities_stitched') }}

),

deals_converted as (

    select
        deals.contact_id,
        deals.is_won,
        deals.deal_stage,
        {{ convert_currency('deals.amount', 'fx_from', 'fx_reporting') }} as amount_in_reporting_currency
    from deals
    {{ fx_join('fx_from', "coalesce(deals.deal_currency, 'USD')", 'cast(coalesce(deals.closed_at, deals.created_at) as date)') }}
    {{ fx_join('fx_reporting', "'" ~ var('mops_reporting_currency') ~ "'", 'cast(coalesce(deals.closed_at, deals.created_at) as date)') }}

),

deal_totals as (

    select
        contact_id,
        sum(case when is_won then 1 else 0 end) as won_deal_count,
        sum(case when is_won then amount_in_reporting_currency else 0 end) as won_deal_amount,
        sum(case when deal_stage not in ('closedwon', 'closedlost') then 1 else 0 end) as open_deal_count
    from deals_converted
    group by contact_id

),

conversion_totals as (

    select
        customer_id,
        count(*) as conversion_count,
        min(converted_at) as first_converted_at,
        max(converted_at) as last_converted_at,
        sum(revenue_in_reporting_currency) as revenue_in_reporting_currency
    from conversions
    where customer_id is not null
    group by customer_id

),

browsers as (

    select
        customer_id,
        count(*) as browser_count
    from identities
    group by customer_id

),

final as (

    select
        cast(contacts.contact_id as varchar) as customer_id,
        cast(contacts.email as varchar) as email,
        cast({{ pseudonymize('contacts.email') }} as varchar) as email_hash,
        cast(contacts.first_name as varchar) as first_name,
        cast(contacts.last_name as varchar) as last_name,
        cast(contacts.lifecycle_stage as varchar) as lifecycle_stage,
        cast(contacts.created_at as timestamp) as created_at,
        cast(coalesce(browsers.browser_count, 0) as bigint) as browser_count,
        cast(coalesce(conversion_totals.conversion_count, 0) as bigint) as conversion_count,
        cast(conversion_totals.first_converted_at as timestamp) as first_converted_at,
        cast(conversion_totals.last_converted_at as timestamp) as last_converted_at,
        cast(coalesce(conversion_totals.revenue_in_reporting_currency, 0) as numeric(20, 6))
            as revenue_in_reporting_currency,
        cast(coalesce(deal_totals.won_deal_count, 0) as bigint) as won_deal_count,
        cast(coalesce(deal_totals.won_deal_amount, 0) as numeric(20, 6)) as won_deal_amount_in_reporting_currency,
        cast(coalesce(deal_totals.open_deal_count, 0) as bigint) as open_deal_count,
        cast('{{ var("mops_reporting_currency") }}' as varchar) as reporting_currency
    from contacts
    left join deal_totals on contacts.contact_id = deal_totals.contact_id
    left join conversion_totals on contacts.contact_id = conversion_totals.customer_id
    left join browsers on contacts.contact_id = browsers.customer_id

)

select * from final
