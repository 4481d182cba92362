{#-
  The one place platform field renames are absorbed: a canonical column is read from whichever
  staging column the row's format version carries it in (see landing_field_versions()).
-#}
{% macro canonical_field(table_key, canonical, version_column='format_version') -%}
    {%- set versions = landing_field_versions()[table_key][canonical] -%}
    case {{ version_column }}
        {%- for version, spec in versions.items() %}
        when '{{ version }}' then {{ spec['column'] }}
        {%- endfor %}
    end
{%- endmacro %}

{#- The currency a canonical money column is in, per version ('' in the mapping = account currency). -#}
{% macro canonical_field_currency(table_key, canonical, account_currency_expr, version_column='format_version') -%}
    {%- set versions = landing_field_versions()[table_key][canonical] -%}
    case {{ version_column }}
        {%- for version, spec in versions.items() %}
        when '{{ version }}' then {% if spec['currency'] in ('', 'account') %}{{ account_currency_expr }}{% else %}'{{ spec['currency'] }}'{% endif %}
        {%- endfor %}
    end
{%- endmacro %}

{#- Keep the row of the latest loaded file per key: platforms restate recent days in later exports. -#}
{% macro latest_restatement(key_columns) -%}
    row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by loaded_at desc, source_file desc
    )
{%- endmacro %}
