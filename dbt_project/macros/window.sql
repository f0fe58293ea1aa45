{#- The run's window of game dates: min_date <= game_date < max_date (end exclusive). -#}
{% macro window_start() -%}
    cast('{{ var("min_date") }}' as date)
{%- endmacro %}

{% macro window_end() -%}
    cast('{{ var("max_date") }}' as date)
{%- endmacro %}

{% macro in_window(column) -%}
    ({{ column }} >= {{ window_start() }} and {{ column }} < {{ window_end() }})
{%- endmacro %}
