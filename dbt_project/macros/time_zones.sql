{#- Naive timestamps in the warehouse are UTC; AT TIME ZONE works the same on DuckDB and PostgreSQL. -#}

{% macro local_midnight_utc(date_expr, time_zone_expr) -%}
    (cast({{ date_expr }} as timestamp) at time zone {{ time_zone_expr }}) at time zone 'UTC'
{%- endmacro %}

{% macro utc_to_local(timestamp_expr, time_zone_expr) -%}
    ({{ timestamp_expr }} at time zone 'UTC') at time zone {{ time_zone_expr }}
{%- endmacro %}

{% macro timestamp_from_micros(micros_expr) -%}
    {{ return(adapter.dispatch('timestamp_from_micros', 'mops')(micros_expr)) }}
{%- endmacro %}

{% macro duckdb__timestamp_from_micros(micros_expr) -%}
    make_timestamp(cast({{ micros_expr }} as bigint))
{%- endmacro %}

{% macro postgres__timestamp_from_micros(micros_expr) -%}
    (to_timestamp({{ micros_expr }} / 1000000.0) at time zone 'UTC')
{%- endmacro %}

{#-
  Hours from one timestamp to a later one, rounded half up to `digits` decimals, as the text of a
  double ('2.0', '0.303'). The rounding is done on whole seconds so both adapters round exact halves
  alike (a double's own round sees 0.3025 as 0.30249999...).
-#}
{% macro hours_between_as_text(start_expr, end_expr, digits) -%}
    {%- set scale = 10 ** digits -%}
    {{ double_as_text(
        'cast(floor(((' ~ dbt.datediff(start_expr, end_expr, 'second') ~ ') * ' ~ scale ~ ' + 1800) / 3600.0)'
        ~ ' as double precision) / ' ~ scale
    ) }}
{%- endmacro %}

{#- A double's shortest text, with '.0' on whole numbers as DuckDB writes it. -#}
{% macro double_as_text(expr) -%}
    {{ return(adapter.dispatch('double_as_text', 'mops')(expr)) }}
{%- endmacro %}

{% macro duckdb__double_as_text(expr) -%}
    cast({{ expr }} as varchar)
{%- endmacro %}

{% macro postgres__double_as_text(expr) -%}
    cast({{ expr }} as varchar) || case when {{ expr }} = trunc({{ expr }}) then '.0' else '' end
{%- endmacro %}
