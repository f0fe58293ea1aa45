{#- The consensus line per player, date and market (market_lines_consensus).
    Per book: its latest snapshot for the date, and of that snapshot its main line (the one whose
    over and under prices are closest to even; Bovada posts alternate lines too). Across books: the
    median main line (exact, portable SQL), the number of books, and the average prices (averaged
    as decimal odds, shown as American) of the books whose main line equals the consensus (null
    when the median falls between two lines).
    `raw_markets`: the sportsbook market keys to include. -#}
{% macro consensus_lines(raw_markets) -%}
with {{ latest_book_snapshots(raw_markets) }},

book_main_line as (
    select
        *,
        row_number() over (
            partition by game_date, market_key, player_lookup, bookmaker
            order by
                case when over_odds is null or under_odds is null then 1 else 0 end,
                abs({{ implied_probability('over_odds') }} - {{ implied_probability('under_odds') }}),
                line
        ) as line_rank
    from latest_snapshot
    where snapshot_rank = 1
),

books as (
    select
        *,
        row_number() over (partition by game_date, market_key, player_lookup order by line, bookmaker) as position,
        count(*) over (partition by game_date, market_key, player_lookup) as n_books
    from book_main_line
    where line_rank = 1
),

consensus as (
    select
        game_date,
        market_key,
        player_lookup,
        avg(line) as consensus_line
    from books
    where position in (
        cast(floor((n_books + 1) / 2.0) as {{ dbt.type_int() }}),
        cast(ceil((n_books + 1) / 2.0) as {{ dbt.type_int() }})
    )
    group by game_date, market_key, player_lookup
)

select
    b.game_date,
    b.player_lookup,
    b.market_key as market,
    max(b.player_name) as player_name,
    max(b.home_team_abbr) as home_team_abbr,
    max(b.away_team_abbr) as away_team_abbr,
    max(b.commence_time) as commence_time,
    max(b.snapshot_time) as snapshot_time,
    max(c.consensus_line) as consensus_line,
    count(*) as n_books,
    min(b.line) as min_line,
    max(b.line) as max_line,
    {{ decimal_to_american(exact_average("case when b.line = c.consensus_line then " ~ american_to_decimal("b.over_odds") ~ " end")) }} as over_odds,
    {{ decimal_to_american(exact_average("case when b.line = c.consensus_line then " ~ american_to_decimal("b.under_odds") ~ " end")) }} as under_odds
from books as b
inner join consensus as c
    on c.game_date = b.game_date and c.market_key = b.market_key and c.player_lookup = b.player_lookup
group by b.game_date, b.market_key, b.player_lookup
{%- endmacro %}


{#- The mean of a float expression, the same on every run: summed as an exact decimal. A floating-point
    sum depends on the order the database adds the rows in (parallel aggregation); the average price,
    rounded to 0.1 as American odds, flipped between two runs of the same data (113.3 vs 113.2). -#}
{% macro exact_average(expression) -%}
    avg(cast({{ expression }} as {{ exact_decimal() }}))
{%- endmacro %}


{#- The lines of every book per player, date and market from its latest snapshot of the date: the
    CTEs `market_lines` and `latest_snapshot` (rank 1 = the book's latest), shared by the consensus
    (consensus_lines) and the per-book quotes (market_book_quotes). `priced_only`: lines with both
    prices only, before the latest snapshot is chosen. -#}
{% macro latest_book_snapshots(raw_markets, priced_only=false) -%}
market_lines as (
    -- A yes/no market's quote has no line: it is carried as yes_no_line() (Yes = over).
    select
        game_date, snapshot_time, commence_time, home_team_abbr, away_team_abbr, bookmaker, market,
        player_name, player_lookup, over_odds, under_odds,
        {{ market_line('market', 'line') }} as line,
        {{ market_key('market') }} as market_key
    from {{ ref('stg_nba_raw__prop_lines') }}
    where market in ('{{ raw_markets | join("', '") }}')
      and {{ market_line('market', 'line') }} is not null
      {%- if priced_only %}
      and over_odds is not null
      and under_odds is not null
      {%- endif %}
      and {{ in_window('game_date') }}
),

latest_snapshot as (
    select
        *,
        dense_rank() over (
            partition by game_date, market_key, player_lookup, bookmaker
            order by snapshot_time desc
        ) as snapshot_rank
    from market_lines
)
{%- endmacro %}
