{#- Schemas are named as configured (nba_analytics, ...), not prefixed with the target schema,
    and carry NBA_DATASET_PREFIX so a replay can run beside production datasets. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = env_var('NBA_DATASET_PREFIX', '') -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
