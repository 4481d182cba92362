with

source as (

    select * from {{ source('hubspot', 'contacts') }}

),

renamed as (

    select
        id as contact_id,
        "properties.email" as email,
        "properties.firstname" as first_name,
        "properties.lastname" as last_name,
        "properties.lifecyclestage" as lifecycle_stage,
        "properties.createdate" as created_at,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['contact_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        contact_id,
        email,
        first_name,
        last_name,
        lifecycle_stage,
        created_at,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
