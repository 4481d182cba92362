{#-
  Keyed pseudonym (HMAC-SHA256, RFC 2104) of a PII value, trimmed and lower-cased: the join key agents without
  the PII permission see. The key never appears in SQL: `mops build` hands the dbt child process the two HMAC pads
  (key XOR ipad, key XOR opad, hex) in its environment only: on DuckDB the profile's plugin
  (mops/core/governance/duckdb_session.py) sets them as the session variables mops_pii_hmac_ipad / _opad of every
  dbt cursor; on PostgreSQL they are the session settings mops.pii_hmac_ipad / _opad (PGOPTIONS).
  A build without them fails with a message instead of hashing without a key.
-#}
{% macro pseudonymize(expr) -%}
    {{ return(adapter.dispatch('pseudonymize', 'mops')(expr)) }}
{%- endmacro %}

{% macro default__pseudonymize(expr) -%}
    case
        when {{ expr }} is null then null
        when getvariable('mops_pii_hmac_ipad') is null or getvariable('mops_pii_hmac_opad') is null
            then error('the PII key pads are not set: build through `mops build` (it derives them from MOPS_PII_KEY)')
        else sha256(
            unhex(getvariable('mops_pii_hmac_opad'))
            || unhex(sha256(unhex(getvariable('mops_pii_hmac_ipad')) || encode(lower(trim({{ expr }})))))
        )
    end
{%- endmacro %}

{% macro postgres__pseudonymize(expr) -%}
    encode(
        sha256(
            decode(current_setting('mops.pii_hmac_opad'), 'hex')
            || sha256(decode(current_setting('mops.pii_hmac_ipad'), 'hex') || convert_to(lower(trim({{ expr }})), 'UTF8'))
        ),
        'hex'
    )
{%- endmacro %}
