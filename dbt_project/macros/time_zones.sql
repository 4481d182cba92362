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

{#- Hours from one timestamp to a later one, rounded to `digits` decimals (a double on every adapter). -#}
{% macro hours_between(start_expr, end_expr, digits) -%}
    {{ return(adapter.dispatch('hours_between', 'mops')(start_expr, end_expr, digits)) }}
{%- endmacro %}

{% macro duckdb__hours_between(start_expr, end_expr, digits) -%}
    round({{ dbt.datediff(start_expr, end_expr, 'second') }} / 3600.0, {{ digits }})
{%- endmacro %}

{% macro postgres__hours_between(start_expr, end_expr, digits) -%}
    {#- PostgreSQL rounds to decimals only on numeric; back to a double so the text form matches -#}
    cast(round(cast({{ dbt.datediff(start_expr, end_expr, 'second') }} as numeric) / 3600.0, {{ digits }}) as double precision)
{%- endmacro %}
