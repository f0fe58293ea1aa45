-- Box scores typed for analytics. Some sources lack FGM: it is (PTS - 3PM - FTM) / 2 exactly.
-- Names go through the alias seed too: a player's name may change between seasons
-- ("Jimmy Butler" in 2024-25, "Jimmy Butler III" in 2025-26) and his history must follow him.
select
    b.game_date,
    b.game_id,
    b.player_id,
    b.player_name,
    coalesce(a.player_lookup, b.player_lookup) as player_lookup,
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
left join {{ ref('player_aliases') }} as a
    on a.alias_lookup = b.player_lookup
