{#- Implied probability of American odds (-110 -> 0.524, +150 -> 0.4). -#}
{% macro implied_probability(odds) -%}
    case
        when {{ odds }} is null then null
        when {{ odds }} < 0 then -1.0 * {{ odds }} / (-1.0 * {{ odds }} + 100)
        else 100.0 / ({{ odds }} + 100)
    end
{%- endmacro %}

{#- American odds <-> decimal odds (payout per unit staked, stake included). Prices are averaged as
    decimal odds: the mean of -110 and +110 is not 0. -#}
{% macro american_to_decimal(odds) -%}
    case
        when {{ odds }} is null or {{ odds }} = 0 then null
        when {{ odds }} > 0 then 1 + {{ odds }} / 100.0
        else 1 + 100.0 / (-1.0 * {{ odds }})
    end
{%- endmacro %}

{% macro decimal_to_american(decimal_odds) -%}
    case
        when {{ decimal_odds }} is null or {{ decimal_odds }} <= 1 then null
        when {{ decimal_odds }} >= 2 then round(({{ decimal_odds }} - 1) * 100, 1)
        else round(-100.0 / ({{ decimal_odds }} - 1), 1)
    end
{%- endmacro %}
