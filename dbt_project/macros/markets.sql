{#- The prop markets the platform predicts and grades: short key, the sportsbook market key in
    nba_raw.prop_lines, and the box-score columns whose sum a line is graded on (PRA: three).
    nba_assets/lib/markets.py holds the same list for Python (a test keeps the two equal).
    Double/triple-double land in nba_raw but are not predicted (yes/no markets, no line). -#}
{% macro prop_markets() -%}
    {{ return([
        {'market': 'points', 'raw_market': 'player_points', 'columns': ['points']},
        {'market': 'rebounds', 'raw_market': 'player_rebounds', 'columns': ['rebounds']},
        {'market': 'assists', 'raw_market': 'player_assists', 'columns': ['assists']},
        {'market': 'threes', 'raw_market': 'player_threes', 'columns': ['fg3m']},
        {'market': 'pra', 'raw_market': 'player_points_rebounds_assists', 'columns': ['points', 'rebounds', 'assists']},
        {'market': 'steals', 'raw_market': 'player_steals', 'columns': ['steals']},
        {'market': 'blocks', 'raw_market': 'player_blocks', 'columns': ['blocks']},
    ]) }}
{%- endmacro %}

{#- The stat of `market` from a box-score relation alias: `market_stat('g')` is a CASE over the
    row's `market` column; `market_stat('g', 'pra')` the expression of one market. -#}
{% macro market_stat(alias, market=none, market_column='market') -%}
    {%- if market is not none -%}
        {%- for m in prop_markets() if m.market == market -%}
            ({%- for c in m.columns -%}{{ alias }}.{{ c }}{{ ' + ' if not loop.last }}{%- endfor -%})
        {%- endfor -%}
    {%- else -%}
        case {{ market_column }}
        {%- for m in prop_markets() %}
            when '{{ m.market }}' then {{ market_stat(alias, m.market) }}
        {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

{#- The sportsbook key -> short market key, as a CASE over a raw `market` column. -#}
{% macro market_key(raw_column) -%}
    case {{ raw_column }}
    {%- for m in prop_markets() %}
        when '{{ m.raw_market }}' then '{{ m.market }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- The box-score columns any market is graded on, each once, in the list's order. -#}
{% macro market_stat_columns() -%}
    {%- set columns = [] -%}
    {%- for m in prop_markets() -%}
        {%- for c in m.columns if c not in columns -%}
            {%- do columns.append(c) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
