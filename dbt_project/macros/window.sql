{#- The run's window of game dates: min_date <= game_date < max_date (end exclusive).

    Dagster passes it as environment variables NBA_WINDOW_START / NBA_WINDOW_END, read only when
    SQL runs (`execute`): the window then changes nothing dbt parses, so every run keeps partial
    parsing (a new --vars value forces a full re-parse, ~2 s per dbt call). Outside Dagster, pass
    --vars '{"min_date": ..., "max_date": ...}' (the environment wins when both are set). -#}
{% macro window_start() -%}
    cast('{{ window_bound("NBA_WINDOW_START", "min_date") }}' as date)
{%- endmacro %}

{% macro window_end() -%}
    cast('{{ window_bound("NBA_WINDOW_END", "max_date") }}' as date)
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }})
{%- endmacro %}

{% macro window_bound(env_name, var_name) -%}
    {%- if execute -%}{{ env_var(env_name, var(var_name)) }}{%- else -%}{{ var(var_name) }}{%- endif -%}
{%- endmacro %}
