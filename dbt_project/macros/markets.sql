{#- The prop markets the platform predicts and grades: short key, the sportsbook market key in
    nba_raw.prop_lines, and the box-score columns whose sum a line is graded on (PRA: three).
    nba_assets/lib/markets.py holds the same lists for Python (a test keeps them equal).
    These seven have features and models; the yes/no markets (below) are priced from them. -#}
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

{#- The yes/no markets: no line at the books (Yes is landed as over_odds, No as under_odds). The
    stat is 1 when at least `categories` of the five `columns` reach yes_no_threshold(), else 0;
    the pipeline carries them as over/under yes_no_line() of it (Yes = OVER). -#}
{% macro yes_no_markets() -%}
    {{ return([
        {'market': 'double_double', 'raw_market': 'player_double_double', 'columns': ['points', 'rebounds', 'assists', 'steals', 'blocks'], 'categories': 2},
        {'market': 'triple_double', 'raw_market': 'player_triple_double', 'columns': ['points', 'rebounds', 'assists', 'steals', 'blocks'], 'categories': 3},
    ]) }}
{%- endmacro %}

{% macro yes_no_threshold() -%}{{ return(10) }}{%- endmacro %}
{% macro yes_no_line() -%}{{ return(0.5) }}{%- endmacro %}

{#- Every market the pipeline prices, grades and reports: the seven, then the yes/no ones. -#}
{% macro priced_markets() -%}
    {{ return(prop_markets() + yes_no_markets()) }}
{%- endmacro %}

{#- The sportsbook keys of `markets` (default: every priced market). -#}
{% macro raw_market_keys(markets=none) -%}
    {%- set keys = [] -%}
    {%- for m in (markets if markets is not none else priced_markets()) -%}{%- do keys.append(m.raw_market) -%}{%- endfor -%}
    {{ return(keys) }}
{%- endmacro %}

{#- A raw line as the pipeline carries it: a yes/no market's is yes_no_line() (it has none). -#}
{% macro market_line(market_column, line_column) -%}
    case when {{ market_column }} in ('{{ raw_market_keys(yes_no_markets()) | join("', '") }}')
         then {{ yes_no_line() }} else {{ line_column }} end
{%- endmacro %}

{#- The stat of `market` from a box-score relation alias: `market_stat('g')` is a CASE over the
    row's `market` column; `market_stat('g', 'pra')` the expression of one market (a yes/no
    market's: 1 when enough of its categories reach the threshold, else 0; null when one is). -#}
{% macro market_stat(alias, market=none, market_column='market') -%}
    {%- if market is not none -%}
        {%- for m in priced_markets() if m.market == market -%}
            {%- if m.categories is defined -%}
            cast(({%- for c in m.columns -%}cast({{ alias }}.{{ c }} >= {{ yes_no_threshold() }} as {{ dbt.type_int() }}){{ ' + ' if not loop.last }}{%- endfor -%}) >= {{ m.categories }} as {{ dbt.type_int() }})
            {%- else -%}
            ({%- for c in m.columns -%}{{ alias }}.{{ c }}{{ ' + ' if not loop.last }}{%- endfor -%})
            {%- endif -%}
        {%- endfor -%}
    {%- else -%}
        case {{ market_column }}
        {%- for m in priced_markets() %}
            when '{{ m.market }}' then {{ market_stat(alias, m.market) }}
        {%- endfor %}
        end
    {%- endif -%}
{%- endmacro %}

{#- The sportsbook key -> short market key, as a CASE over a raw `market` column. -#}
{% macro market_key(raw_column) -%}
    case {{ raw_column }}
    {%- for m in priced_markets() %}
        when '{{ m.raw_market }}' then '{{ m.market }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- The box-score columns any market is graded on, each once, in the list's order. -#}
{% macro market_stat_columns() -%}
    {%- set columns = [] -%}
    {%- for m in priced_markets() -%}
        {%- for c in m.columns if c not in columns -%}
            {%- do columns.append(c) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(columns) }}
{%- endmacro %}
