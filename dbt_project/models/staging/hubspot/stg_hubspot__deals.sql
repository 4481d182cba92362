with

source as (

    select * from {{ source('hubspot', 'deals') }}

),

renamed as (

    select
        id as deal_id,
        "properties.dealname" as deal_name,
        cast("properties.amount" as numeric(20, 6)) as amount,
        "properties.deal_currency_code" as deal_currency,
        "properties.dealstage" as deal_stage,
        "properties.pipeline" as pipeline,
        "properties.closedate" as closed_at,
        "properties.createdate" as created_at,
        {{ json_first_string('"associations.contacts.results"', '.id') }} as contact_id,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['deal_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        deal_id,
        deal_name,
        amount,
        deal_currency,
        deal_stage,
        pipeline,
        closed_at,
        created_at,
        contact_id,
        deal_stage = 'closedwon' as is_won,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
