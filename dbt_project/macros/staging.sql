{#- Staging: the raw tables typed and with player names resolved, as SQL that the models inline
    (`from ({{ stg_schedule() }}) as g`). Macros rather than ephemeral models: dbt injects an
    ephemeral model into each model that refs it by parsing the model's compiled SQL with sqlparse,
    ~0.4 s of pure-Python work per run (player_market_features alone is 22,000 characters), the same
    SQL either way. Unit tests give these macros their rows through the raw `source()` tables. -#}

{#- One row per game; a game is final once both scores are known. -#}
{% macro stg_schedule() -%}
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
{%- endmacro %}

{#- Box scores typed for analytics. Some sources lack FGM: it is (PTS - 3PM - FTM) / 2 exactly.
    Names go through the alias seed too (macros/player_aliases.sql): a player's name may change
    between seasons and his history must follow him. -#}
{% macro stg_player_boxscores() -%}
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
{%- endmacro %}

{#- Prop lines with sportsbook player names resolved to box-score players through the alias seed. -#}
{% macro stg_prop_lines() -%}
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
{%- endmacro %}
