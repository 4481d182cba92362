{#-
  Incremental models read what was loaded since their last build: `built_up_to(column)` is the newest
  value of a column the model already holds (its watermark), or `floor` when it holds no rows yet.
-#}
{% macro built_up_to(column, floor="cast('1970-01-01' as timestamp)") -%}
    (select coalesce(max({{ column }}), {{ floor }}) from {{ this }})
{%- endmacro %}

{#- The start of the GA4 lookback: `hours` (mops_ga4_lookback_hours) before the newest `column` built. -#}
{% macro ga4_lookback_start(column) -%}
    {{ dbt.dateadd('hour', -1 * var('mops_ga4_lookback_hours'), built_up_to(column)) }}
{%- endmacro %}
