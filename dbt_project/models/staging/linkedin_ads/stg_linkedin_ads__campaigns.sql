with

source as (

    select * from {{ source('linkedin_ads', 'campaigns') }}

),

renamed as (

    select
        cast(id as varchar) as campaign_id,
        "name" as campaign_name,
        replace(account, 'urn:li:sponsoredAccount:', '') as account_id,
        status as campaign_status,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['campaign_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        campaign_id,
        campaign_name,
        account_id,
        campaign_status,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
