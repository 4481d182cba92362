{#-
  Money conversion through USD with the fx_rates seed (units of currency per 1 USD, monthly).
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
