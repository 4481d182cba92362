with

source as (

    select * from {{ source('plan', 'budget_plan') }}

),

renamed as (

    select
        channel_id,
        start_date,
        end_date,
        cast(budget_amount as numeric(20, 6)) as budget_amount,
        upper(trim(currency_code)) as budget_currency,
        "owner",
        notes,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['channel_id', 'start_date']) }} as restatement_rank
    from renamed

),

final as (

    select
        channel_id,
        start_date,
        end_date,
        budget_amount,
        budget_currency,
        "owner",
        notes,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
