-- One row per player and game: scoring, minutes, shooting, home/away, opponent, played or DNP.
with box as (
    select * from {{ ref('stg_nba_raw__player_boxscores') }}
    where {{ in_window('game_date') }}
),

games as (
    select * from {{ ref('stg_nba_raw__schedule') }}
    where {{ in_window('game_date') }}
)

select
    box.game_date,
    box.game_id,
    games.season,
    games.season_type,
    box.player_id,
    box.player_name,
    box.player_lookup,
    box.team_abbr,
    case when games.home_team_abbr = box.team_abbr then games.away_team_abbr
         else games.home_team_abbr end as opponent_abbr,
    case when games.home_team_abbr = box.team_abbr then 'HOME' else 'AWAY' end as home_away,
    box.minutes,
    box.points,
    box.rebounds,
    box.assists,
    box.steals,
    box.blocks,
    box.turnovers,
    box.fgm,
    box.fga,
    box.fg3m,
    box.fg3a,
    box.ftm,
    box.fta,
    case when box.fga > 0 then 1.0 * box.fgm / box.fga end as fg_pct,
    case when box.fg3a > 0 then 1.0 * box.fg3m / box.fg3a end as fg3_pct,
    box.minutes > 0 as played,
    case when box.minutes > 0 then 'played' else 'dnp' end as player_status
from box
inner join games on games.game_id = box.game_id
