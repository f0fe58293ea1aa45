-- One row per player and game date with features computed ONLY from games strictly before that
-- date (history from the previous season included; the rules: macros/features.sql). Rows: every
-- player listed in the date's box scores plus every player with a points line that date
-- (pre-game, the lines are what is known). Averages are over games the player played (minutes > 0).
with box_today as (
    {{ box_score_players() }}
),

lines as (
    select game_date, player_lookup, player_name, home_team_abbr, away_team_abbr,
           consensus_line, n_books
    from {{ ref('prop_lines_consensus') }}
    where {{ in_window('game_date') }}
),

spine as (
    select
        coalesce(b.game_date, l.game_date) as game_date,
        coalesce(b.player_lookup, l.player_lookup) as player_lookup,
        coalesce(b.player_name, l.player_name) as player_name,
        b.team_abbr as box_team_abbr,
        l.home_team_abbr as line_home_team_abbr,
        l.away_team_abbr as line_away_team_abbr,
        l.consensus_line,
        l.n_books
    from box_today as b
    full outer join lines as l
        on l.game_date = b.game_date and l.player_lookup = b.player_lookup
),

{{ player_history_ctes({'points': 'g.points'}) }},

-- The opponent's defense: points allowed, from the schedule's final scores.
{{ opponent_allowed_ctes(ref('team_game_summary'), {'opponent_def_rating': 'points_allowed'}) }}

select
    w.game_date,
    w.player_lookup,
    {{ player_game_columns() }},
    h.points_avg_last_5,
    h.points_avg_last_10,
    h.points_avg_season,
    h.points_std_last_10,
    h.minutes_avg_last_10,
    h.points_per_minute_last_10 as ppm_avg_last_10,
    coalesce(h.games_in_last_7_days, 0) as games_in_last_7_days,
    coalesce(h.games_played_season, 0) as games_played_season,
    {{ dbt.datediff('h.last_played_date', 'w.game_date', 'day') }} as days_rest,
    {{ dbt.datediff('h.last_played_date', 'w.game_date', 'day') }} = 1 as back_to_back,
    d.opponent_def_rating,
    w.consensus_line as vegas_points_line,
    w.n_books as vegas_books,
    w.consensus_line is not null as has_vegas_line,
    h.last_played_date as last_feature_game_date
from with_game as w
left join player_history as h
    on h.game_date = w.game_date and h.player_lookup = w.player_lookup
left join opponent_allowed as d
    on d.feature_date = w.game_date and d.opponent_abbr = w.opponent_abbr
