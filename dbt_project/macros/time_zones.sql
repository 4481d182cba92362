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
