{#- Implied probability of American odds (-110 -> 0.524, +150 -> 0.4). -#}
{% macro implied_probability(odds) -%}
    case
        when {{ odds }} is null then null
        when {{ odds }} < 0 then -1.0 * {{ odds }} / (-1.0 * {{ odds }} + 100)
        else 100.0 / ({{ odds }} + 100)
    end
{%- endmacro %}
