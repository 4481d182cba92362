with

channels as (

    select * from {{ ref('channels') }}

),

final as (

    select
        cast(channel_id as varchar) as channel_id,
        cast(channel_name as varchar) as channel_name,
        cast(channel_group as varchar) as channel_group,
        cast(is_paid as boolean) as is_paid,
        cast(platform as varchar) as platform
    from channels

)

select * from final
