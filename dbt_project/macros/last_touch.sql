{#-
  For each row of `events` (a CTE or relation), the latest row of `touches` of the same `partition_by`
  value at or before the event: touch time <= event time, of any age. Ties (two touches at the same
  time) go to the greatest `touch_key` in byte order, so the result is the same on every engine.
  Selects every column of `events`, then `touch_at`, `touch_key` and each of `carried` from the touch
  matched (all null when the partition has no touch at or before the event). Column names of `touches`
  other than `partition_by` must not repeat names of `events`; `touch_key` is unique and not null.
  DuckDB answers with an ASOF JOIN; other engines with window functions over events and touches stacked.
-#}
{% macro last_touch_at_or_before(events, event_key, event_at, touches, touch_key, touch_at, partition_by, carried) -%}
    {{ return(adapter.dispatch('last_touch_at_or_before', 'mops')(
        events, event_key, event_at, touches, touch_key, touch_at, partition_by, carried
    )) }}
{%- endmacro %}

{% macro duckdb__last_touch_at_or_before(
    events, event_key, event_at, touches, touch_key, touch_at, partition_by, carried
) -%}
    select
        events.*,
        untied.{{ touch_at }},
        untied.{{ touch_key }}{% for column in carried %},
        untied.{{ column }}{% endfor %}
    from {{ events }} as events
    asof left join (
        -- one touch per partition and time: the greatest key (DuckDB compares text by its bytes)
        select
            {{ partition_by }},
            {{ touch_at }},
            max({{ touch_key }}) as {{ touch_key }}{% for column in carried %},
            arg_max({{ column }}, {{ touch_key }}) as {{ column }}{% endfor %}
        from {{ touches }}
        where {{ partition_by }} is not null
        group by {{ partition_by }}, {{ touch_at }}
    ) as untied
        on
            events.{{ partition_by }} = untied.{{ partition_by }}
            and events.{{ event_at }} >= untied.{{ touch_at }}
{%- endmacro %}

{% macro default__last_touch_at_or_before(
    events, event_key, event_at, touches, touch_key, touch_at, partition_by, carried, byte_order=''
) -%}
    {#- Touches and events in one time order per partition, a touch before an event at the same time;
        each touch starts a group, and an event belongs to the group of the latest touch before it. -#}
    select
        events.*,
        matched.{{ touch_at }},
        matched.{{ touch_key }}{% for column in carried %},
        matched.{{ column }}{% endfor %}
    from {{ events }} as events
    inner join (
        select
            stacked_event_key,
            first_value(stacked_touch_key) over (
                partition by stacked_partition, touch_number order by stacked_at, is_event
            ) as matched_touch_key,
            is_event
        from (
            select
                *,
                sum(1 - is_event) over (
                    partition by stacked_partition
                    order by stacked_at, is_event, stacked_touch_key{{ byte_order }}
                    rows between unbounded preceding and current row
                ) as touch_number
            from (
                select
                    {{ partition_by }} as stacked_partition,
                    {{ touch_at }} as stacked_at,
                    0 as is_event,
                    cast({{ touch_key }} as varchar) as stacked_touch_key,
                    cast(null as varchar) as stacked_event_key
                from {{ touches }}
                where {{ partition_by }} is not null
                union all
                select
                    {{ partition_by }},
                    {{ event_at }},
                    1,
                    null,
                    cast({{ event_key }} as varchar)
                from {{ events }}
            ) as stacked
        ) as numbered
    ) as grouped
        on
            grouped.is_event = 1
            and cast(events.{{ event_key }} as varchar) = grouped.stacked_event_key
    left join {{ touches }} as matched
        on cast(matched.{{ touch_key }} as varchar) = grouped.matched_touch_key
{%- endmacro %}

{% macro postgres__last_touch_at_or_before(
    events, event_key, event_at, touches, touch_key, touch_at, partition_by, carried
) -%}
    {#- text ordered by bytes, as on DuckDB, whatever the database's collation -#}
    {{ default__last_touch_at_or_before(
        events, event_key, event_at, touches, touch_key, touch_at, partition_by, carried, ' collate "C"'
    ) }}
{%- endmacro %}
