-- One row per player, game date and market (points, rebounds, assists, threes, pra, steals,
-- blocks) with that market's features computed ONLY from games strictly before the date (history
-- from the previous season included; the rules: macros/features.sql), and the market's consensus
-- line and prices when posted.
-- A pre-game table: a date's rows are what was knowable before its games, so they are the same
-- whether the date is built at 12:45 (live) or after its box scores landed (a replay, a backfill).
-- Rows: every player an earlier box score of the season puts on a team playing that date (his
-- latest game was for it: who a pre-game run expects to play; the models learn from those who did)
-- plus every player with a line in any market that date, times every market. Never the date's own
-- box score: a player without a line and without an earlier game of the season has no row (nor a
-- season average to learn from).
-- Averages are over games the player played (minutes > 0). Each stat's history is computed once,
-- wide, then one row per market is taken from it: seven joins of the history would cost seven
-- times the work.
{% set markets = prop_markets() %}
{% set stats = {} %}
{% set allowed = {} %}
{% for m in markets %}
    {% do stats.update({m.market: market_stat('g', m.market)}) %}
    {% do allowed.update({m.market ~ '_allowed_last_10': 'allowed_' ~ m.market}) %}
{% endfor %}

with lines as (
    select *
    from {{ ref('market_lines_consensus') }}
    where {{ in_window('game_date') }}
),

line_players as (
    select game_date, player_lookup, max(player_name) as player_name,
           max(home_team_abbr) as home_team_abbr, max(away_team_abbr) as away_team_abbr
    from lines
    group by game_date, player_lookup
),

{{ expected_players_ctes() }},

spine as (
    select
        coalesce(e.game_date, l.game_date) as game_date,
        coalesce(e.player_lookup, l.player_lookup) as player_lookup,
        l.player_name,
        l.home_team_abbr as line_home_team_abbr,
        l.away_team_abbr as line_away_team_abbr
    from expected_players as e
    full outer join line_players as l
        on l.game_date = e.game_date and l.player_lookup = e.player_lookup
),

{{ player_history_ctes(stats) }},

-- What each team allowed per stat in each game: the sum over the players who played against it
-- (2024-25 box scores are partial, ~84% of players: its allowed totals run low, consistently).
team_allowed as (
    select
        game_date,
        opponent_abbr as team_abbr,
        {%- for m in markets %}
        sum({{ market_stat('g', m.market) }}) as allowed_{{ m.market }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('player_game_summary') }} as g
    where g.played
    group by game_date, opponent_abbr
),

{{ opponent_allowed_ctes('team_allowed', allowed) }}

{% for m in markets %}
select
    w.game_date,
    w.player_lookup,
    '{{ m.market }}' as market,
    {{ player_game_columns() }},
    h.{{ m.market }}_avg_last_5 as stat_avg_last_5,
    h.{{ m.market }}_avg_last_10 as stat_avg_last_10,
    h.{{ m.market }}_avg_season as stat_avg_season,
    h.{{ m.market }}_std_last_10 as stat_std_last_10,
    h.{{ m.market }}_per_minute_last_10 as stat_per_minute_last_10,
    h.minutes_avg_last_10,
    coalesce(h.games_played_season, 0) as games_played_season,
    coalesce(h.games_in_last_10_window, 0) as games_in_last_10_window,
    {{ dbt.datediff('h.last_played_date', 'w.game_date', 'day') }} as days_rest,
    d.{{ m.market }}_allowed_last_10 as opponent_allowed_last_10,
    l.consensus_line,
    l.n_books,
    l.over_odds,
    l.under_odds,
    l.consensus_line is not null as has_line,
    -- The latest game any feature used (the player's or his opponent's): the leakage guard
    -- compares it with game_date. Spelled out: BigQuery's greatest() is null when one side is.
    case
        when h.last_played_date is null then d.last_opponent_game_date
        when d.last_opponent_game_date is null then h.last_played_date
        when d.last_opponent_game_date > h.last_played_date then d.last_opponent_game_date
        else h.last_played_date
    end as last_feature_game_date
from with_game as w
left join player_history as h
    on h.game_date = w.game_date and h.player_lookup = w.player_lookup
left join opponent_allowed as d
    on d.feature_date = w.game_date and d.opponent_abbr = w.opponent_abbr
left join lines as l
    on l.game_date = w.game_date and l.player_lookup = w.player_lookup and l.market = '{{ m.market }}'
{% if not loop.last %}union all{% endif %}
{% endfor %}
