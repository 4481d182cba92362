with

source as (

    select * from {{ source('meta_ads', 'ads') }}

),

renamed as (

    select
        id as ad_id,
        "name" as ad_name,
        account_id,
        campaign_id,
        adset_id,
        status as ad_status,
        "creative.id" as creative_id,
        "creative.title" as creative_title,
        "creative.body" as creative_body,
        _mops_file as source_file,
        _mops_loaded_at as loaded_at
    from source

),

ranked as (

    select
        *,
        {{ latest_restatement(['ad_id']) }} as restatement_rank
    from renamed

),

final as (

    select
        ad_id,
        ad_name,
        account_id,
        campaign_id,
        adset_id,
        ad_status,
        creative_id,
        creative_title,
        creative_body,
        source_file,
        loaded_at
    from ranked
    where restatement_rank = 1

)

select * from final
