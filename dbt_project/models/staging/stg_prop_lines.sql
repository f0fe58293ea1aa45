-- Prop lines with sportsbook player names resolved to box-score players through the alias seed.
select
    l.game_date,
    l.snapshot_time,
    l.snapshot_file,
    l.event_id,
    l.commence_time,
    l.home_team_abbr,
    l.away_team_abbr,
    l.bookmaker,
    l.market,
    l.player_name,
    l.player_lookup as raw_player_lookup,
    coalesce(a.player_lookup, l.player_lookup) as player_lookup,
    l.line,
    l.over_odds,
    l.under_odds
from {{ source('nba_raw', 'prop_lines') }} as l
left join {{ ref('player_aliases') }} as a
    on a.alias_lookup = l.player_lookup
