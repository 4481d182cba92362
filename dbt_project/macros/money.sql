{#-
  Money conversion through USD with int_fx_rates_ranged (units of currency per 1 USD: ECB daily
  reference rates, or the team's own rates where present).
  `rates_from` / `rates_to` are aliases of int_fx_rates_ranged joined for the source and target currency.
-#}
{% macro convert_currency(amount_expr, rates_from, rates_to) -%}
    {{ amount_expr }} / {{ rates_from }}.units_per_usd * {{ rates_to }}.units_per_usd
{%- endmacro %}

{% macro fx_join(alias, currency_expr, date_expr) -%}
    left join {{ ref('int_fx_rates_ranged') }} as {{ alias }}
        on {{ currency_expr }} = {{ alias }}.currency_code
        and {{ date_expr }} >= {{ alias }}.valid_from
        and ({{ date_expr }} < {{ alias }}.valid_to or {{ alias }}.valid_to is null)
{%- endmacro %}

{#-
  Which rates a conversion used: their source (ecb, team, or e.g. team+ecb when the legs differ; none when
  the amount is already in the target currency) and the rate date (a USD leg is always 1 and is ignored).
-#}
{% macro fx_provenance(rates_from, rates_to) -%}
    case
        when {{ rates_from }}.currency_code = {{ rates_to }}.currency_code then 'none'
        when {{ rates_from }}.currency_code = 'USD' then {{ rates_to }}.rate_source
        when {{ rates_to }}.currency_code = 'USD' then {{ rates_from }}.rate_source
        when {{ rates_from }}.rate_source = {{ rates_to }}.rate_source then {{ rates_from }}.rate_source
        else {{ rates_from }}.rate_source || '+' || {{ rates_to }}.rate_source
    end as fx_rate_source,
    case
        when {{ rates_from }}.currency_code = {{ rates_to }}.currency_code then cast(null as date)
        when {{ rates_from }}.currency_code = 'USD' then {{ rates_to }}.valid_from
        when {{ rates_to }}.currency_code = 'USD' then {{ rates_from }}.valid_from
        else least({{ rates_from }}.valid_from, {{ rates_to }}.valid_from)
    end as fx_rate_date
{%- endmacro %}
