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

{#-
  Incremental marts: a contract leaves no room for a watermark column, so the newest input load a mart
  has built from is kept beside it, one row per model in `<schema>._mops_watermarks`, written by a
  post-hook in the model's own transaction (`record_mart_watermark`). `mart_built_up_to()` reads it;
  with no row yet (or no table) it is `floor`, so every key counts as touched and nothing is missed.
-#}
{% macro mart_watermarks() -%}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier='_mops_watermarks')) }}
{%- endmacro %}

{% macro mart_built_up_to(floor="cast('1970-01-01' as timestamp)") -%}
    {%- set stored = adapter.get_relation(
        database=this.database, schema=this.schema, identifier='_mops_watermarks'
    ) if execute else none -%}
    {%- if stored is none -%}
        {{ floor }}
    {%- else -%}
        (select coalesce(max(built_up_to), {{ floor }}) from {{ stored }} where model_name = '{{ this.identifier }}')
    {%- endif -%}
{%- endmacro %}

{#-
  The post-hook that stores this mart's watermark: the newest `loaded_at`-like column among its inputs,
  `inputs` = {model name: column}. Written after the model's rows, in the same transaction.
-#}
{% macro record_mart_watermark(inputs) -%}
    {%- set newest = [] -%}
    {%- for model, column in inputs.items() -%}
        {%- do newest.append("(select max(" ~ column ~ ") from " ~ ref(model) ~ ")") -%}
    {%- endfor -%}
    create table if not exists {{ mart_watermarks() }} (model_name varchar(256), built_up_to timestamp);
    delete from {{ mart_watermarks() }} where model_name = '{{ this.identifier }}';
    insert into {{ mart_watermarks() }} (model_name, built_up_to)
    select '{{ this.identifier }}', {% if newest | length > 1 %}greatest({{ newest | join(', ') }}){% else %}{{ newest[0] }}{% endif %}
{%- endmacro %}
