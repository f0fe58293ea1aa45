-- One row per line of nba_raw.prop_lines (book, market, player, line, snapshot), the sportsbook's
-- player name resolved to a box-score player through the alias seed (macros/player_aliases.sql).
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
    {{ resolved_player_lookup('l') }} as player_lookup,
    l.line,
    l.over_odds,
    l.under_odds
from {{ source('nba_raw', 'prop_lines') }} as l
{{ player_alias_join('l') }}
