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
