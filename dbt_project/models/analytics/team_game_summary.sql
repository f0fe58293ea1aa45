-- One row per team and final game. Team totals come from the schedule's final scores, not from
-- summing player rows (the 2024-25 player logs hold only ~84% of players).
-- pace_proxy: both teams' points (no possession data for every season in the archive).
with games as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where is_final and {{ in_window('game_date') }}
)

select
    game_date, game_id, season, season_type,
    home_team_abbr as team_abbr,
    away_team_abbr as opponent_abbr,
    'HOME' as home_away,
    home_points as points,
    away_points as points_allowed,
    home_points + away_points as pace_proxy,
    home_points > away_points as won
from games

union all

select
    game_date, game_id, season, season_type,
    away_team_abbr as team_abbr,
    home_team_abbr as opponent_abbr,
    'AWAY' as home_away,
    away_points as points,
    home_points as points_allowed,
    home_points + away_points as pace_proxy,
    away_points > home_points as won
from games
