-- One row per game of nba_raw.schedule; a game is final once both scores are known.
-- A view, as all of staging (why: dbt_project.yml, models: staging).
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
