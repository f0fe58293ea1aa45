{#- Schemas are named as configured (nba_analytics, ...), not prefixed with the target schema,
    and carry the dataset prefix so a replay can run beside production datasets. Dagster passes
    the warehouse resource's prefix as the var `dataset_prefix` (Python and dbt name the same
    datasets); a plain `dbt` command reads NBA_DATASET_PREFIX. -#}
{% macro dataset_prefix() -%}
    {{- var('dataset_prefix', env_var('NBA_DATASET_PREFIX', '')) -}}
{%- endmacro %}

{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = dataset_prefix() -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
