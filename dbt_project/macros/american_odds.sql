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

{#- Rounded to 0.1 exactly: the price is first fixed to 9 decimals (a decimal type), then rounded half
    away from zero, so a price that is a tie (an average of 2.05 and 2.095 is 107.25) rounds the same
    way whatever floating-point noise it carries and on every engine (DuckDB, BigQuery). -#}
{% macro decimal_to_american(decimal_odds) -%}
    case
        when {{ decimal_odds }} is null or {{ decimal_odds }} <= 1 then null
        when {{ decimal_odds }} >= 2 then {{ round_exactly('(' ~ decimal_odds ~ ' - 1) * 100') }}
        else {{ round_exactly('-100.0 / (' ~ decimal_odds ~ ' - 1)') }}
    end
{%- endmacro %}

{% macro round_exactly(expression) -%}
    cast(round(cast({{ expression }} as {{ exact_decimal() }}), 1) as {{ 'float64' if target.type == 'bigquery' else 'double' }})
{%- endmacro %}

{#- An exact decimal with BigQuery's NUMERIC precision on every engine (dbt's type_numeric is only 6
    decimals on DuckDB: prices within 1e-4 of a tie then rounded differently on the two engines). -#}
{% macro exact_decimal() -%}
    {{ 'numeric' if target.type == 'bigquery' else 'decimal(38, 9)' }}
{%- endmacro %}
