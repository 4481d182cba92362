{#- Small generic tests (no package downloads: the project installs offline). -#}

{% test expression_is_true(model, expression, where_clause=none, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {% if where_clause %}and ({{ where_clause }}){% endif %}
{% endtest %}

{% test unique_combination_of_columns(model, combination_of_columns) %}
    select {{ combination_of_columns | join(', ') }}, count(*) as n_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}

{% test at_least_one_row(model) %}
    select 1 as empty_model
    where (select count(*) from {{ model }}) = 0
{% endtest %}

{#-
  A mart's landing inputs, declared once (mops reads this test's arguments for `mops check`, the build
  plan and the agents' input gates): `any_of` lists the landing tables (source.table) the mart is made
  from; `required` false means the mart may be built empty when none of them has rows. Fails when the
  mart came out empty although an input has rows: a layer turned data into nothing (never a silent zero).
-#}
{% test not_empty_from_inputs(model, any_of, required=true) %}
    with

    input_rows as (
        {%- for qualified in any_of %}
            {%- set parts = qualified.split('.') %}
            select '{{ qualified }}' as landing_table, count(*) as n_rows
            from {{ source(parts[0], parts[1]) }}
            {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ),

    model_rows as (

        select count(*) as n_rows from {{ model }}

    )

    select
        input_rows.landing_table,
        input_rows.n_rows as input_rows
    from input_rows
    cross join model_rows
    where input_rows.n_rows > 0 and model_rows.n_rows = 0
{% endtest %}
