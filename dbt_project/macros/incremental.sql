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

{#-
  The marts' side tables are created once at the start of every dbt invocation (on-run-start), never by the
  post-hooks: two marts built at the same time would both create them, and the second creation conflicts
  (DuckDB: a catalog write-write conflict; PostgreSQL: a duplicate type name).
-#}
{% macro create_mart_side_tables() -%}
    {%- set marts = api.Relation.create(database=target.database, schema=generate_schema_name('marts', none)) -%}
    {%- do adapter.create_schema(marts) -%}
    create table if not exists {{ marts.incorporate(path={'identifier': '_mops_watermarks'}) }} (
        model_name varchar(256), built_up_to timestamp
    );
    create table if not exists {{ marts.incorporate(path={'identifier': '_mops_fx_ranges'}) }} (
        model_name varchar(256),
        currency_code varchar(16),
        valid_from date,
        valid_to date,
        units_per_usd double precision,
        is_reporting_currency boolean
    )
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
    delete from {{ mart_watermarks() }} where model_name = '{{ this.identifier }}';
    insert into {{ mart_watermarks() }} (model_name, built_up_to)
    select '{{ this.identifier }}', {% if newest | length > 1 %}greatest({{ newest | join(', ') }}){% else %}{{ newest[0] }}{% endif %}
{%- endmacro %}

{#-
  Incremental marts that convert money: the FX ranges (int_fx_rates_ranged) a build converted with are kept
  beside the mart, one row per model and range, in `<schema>._mops_fx_ranges`, written by a post-hook in the
  model's own transaction (`record_fx_ranges`). A late or restated rate, a team rate file, an edited ECB seed
  and a change of reporting currency (its ranges are flagged) all show as ranges in `fx_ranges_changed()`:
  those built with and those of now, each less the other. `fx_ranges_kept()` is none before the first
  build that kept them (no table yet): the caller then treats every row as changed.
-#}
{% macro fx_ranges_table() -%}
    {{ return(api.Relation.create(database=this.database, schema=this.schema, identifier='_mops_fx_ranges')) }}
{%- endmacro %}

{% macro fx_ranges_kept() -%}
    {{ return(adapter.get_relation(
        database=this.database, schema=this.schema, identifier='_mops_fx_ranges'
    ) if execute else none) }}
{%- endmacro %}

{% macro fx_ranges_now() -%}
    select
        cast(currency_code as varchar(16)) as currency_code,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(units_per_usd as double precision) as units_per_usd,
        currency_code = '{{ var("mops_reporting_currency") }}' as is_reporting_currency
    from {{ ref('int_fx_rates_ranged') }}
{%- endmacro %}

{% macro fx_ranges_changed() -%}
    {%- set kept -%}
        select currency_code, valid_from, valid_to, units_per_usd, is_reporting_currency
        from {{ fx_ranges_kept() }}
        where model_name = '{{ this.identifier }}'
    {%- endset -%}
    select * from (
        ({{ fx_ranges_now() }}) except ({{ kept }})
    ) as added
    union all
    select * from (
        ({{ kept }}) except ({{ fx_ranges_now() }})
    ) as removed
{%- endmacro %}

{% macro record_fx_ranges() -%}
    delete from {{ fx_ranges_table() }}
    where model_name = '{{ this.identifier }}';
    insert into {{ fx_ranges_table() }}
    select '{{ this.identifier }}', currency_code, valid_from, valid_to, units_per_usd, is_reporting_currency
    from ({{ fx_ranges_now() }}) as ranges
{%- endmacro %}

{#-
  Incremental marts replace only what differs: the rows of `rows` (a CTE of the rebuilt rows) whose `key`
  value has rows other than those `this` holds for it. With `key` unique that is each new or changed row;
  with a key shared by several rows (a browser's journeys), every row of a key with any row new, changed
  or gone, so that dbt's delete by that key takes all of them. Rows already stored as they are rebuilt are
  not written again: on DuckDB every written row costs the contract's primary-key index at commit.
-#}
{% macro rows_differing_from_built(rows, key, unique) -%}
    {%- set columns = adapter.get_columns_in_relation(this) | map(attribute='name') | join(', ') if execute else '*' -%}
    select * from {{ rows }}
    where {{ key }} in (
        select differing.{{ key }} from (
            select {{ columns }} from {{ rows }}
            except
            select {{ columns }} from {{ this }} where {{ key }} in (select {{ key }} from {{ rows }})
        ) as differing
        {%- if not unique %}
        union
        select gone.{{ key }} from (
            select {{ columns }} from {{ this }} where {{ key }} in (select {{ key }} from {{ rows }})
            except
            select {{ columns }} from {{ rows }}
        ) as gone
        {%- endif %}
    )
{%- endmacro %}
