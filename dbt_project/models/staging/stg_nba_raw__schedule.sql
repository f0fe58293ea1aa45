-- One row per game of nba_raw.schedule; a game is final once both scores are known.
-- A view: see stg_nba_raw__schedule.yml for why staging is views.
select
    game_date,
    game_id,
    season,
    season_type,
    home_team_abbr,
    away_team_abbr,
    home_points,
    away_points,
    (home_points is not null and away_points is not null) as is_final
from {{ source('nba_raw', 'schedule') }}
