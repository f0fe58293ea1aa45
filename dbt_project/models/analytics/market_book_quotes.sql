-- Every book's quotes per player, game date and market, from its latest snapshot of the date:
-- each line it posts (its main line and any alternate) with both prices, and how many books quote
-- that same line. The best-price rule (nba_assets/lib/pricing.py) takes a side at the best book
-- among these and refuses the suspect ones (a quote no second book confirms, or one far from the
-- other books' de-vigged probability).
{%- set raw_markets = raw_market_keys() %}
with {{ latest_book_snapshots(raw_markets, priced_only=true) }},

-- A book's line quoted twice in one snapshot (two files of the same time): one quote, the
-- first by its prices, so every run keeps the same one.
quotes as (
    select
        *,
        row_number() over (
            partition by game_date, market_key, player_lookup, bookmaker, line
            order by over_odds, under_odds
        ) as quote_rank
    from latest_snapshot
    where snapshot_rank = 1
)

select
    game_date,
    player_lookup,
    market_key as market,
    bookmaker,
    line,
    over_odds,
    under_odds,
    snapshot_time,
    count(*) over (partition by game_date, market_key, player_lookup, line) as books_at_line
from quotes
where quote_rank = 1
