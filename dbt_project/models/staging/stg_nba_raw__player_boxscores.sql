-- One row per player and game of nba_raw.player_boxscores, typed for analytics, the player's name
-- resolved through the alias seed (macros/player_aliases.sql: a player's name may change between
-- seasons and his history must follow him). Some sources lack FGM: it is (PTS - 3PM - FTM) / 2 exactly.
select
    b.game_date,
    b.game_id,
    b.player_id,
    b.player_name,
    {{ resolved_player_lookup('b') }} as player_lookup,
    b.team_abbr,
    b.opponent_abbr,
    b.home_away,
    b.minutes,
    b.points,
    b.rebounds,
    b.assists,
    b.steals,
    b.blocks,
    b.turnovers,
    coalesce(b.fgm, cast((b.points - b.fg3m - b.ftm) / 2 as {{ dbt.type_int() }})) as fgm,
    b.fga,
    b.fg3m,
    b.fg3a,
    b.ftm,
    b.fta
from {{ source('nba_raw', 'player_boxscores') }} as b
{{ player_alias_join('b') }}
