{#- The feature rules of player_market_features (every market). A feature of game date D uses only games strictly before D (before_feature_date), so a
    prediction made before tip-off sees the same values; the leakage guards (defs/checks.py, the
    no_feature_leakage dbt test) check it on every row through last_feature_game_date.

    A features model builds a CTE `spine` (game_date, player_lookup, player_name: the sportsbook's,
    line_home_team_abbr, line_away_team_abbr: the teams of the game of his line that date; null
    without a line) from pre-game knowledge only (expected_players_ctes, the date's lines: never the
    date's own box score), then adds
        {{ player_history_ctes(stats) }}    with_game and player_history (below),
        {{ opponent_allowed_ctes(team_games, allowed) }}    opponent_allowed (below),
    and selects from with_game joined to player_history and opponent_allowed. -#}

{#- How far back history reaches (the previous season included). -#}
{% macro feature_history_days() -%}
    {{ return(400) }}
{%- endmacro %}

{#- A game of `game_date` may feed the features of `feature_date`: strictly before it, within
    the history. -#}
{% macro before_feature_date(game_date, feature_date) -%}
    {{ game_date }} < {{ feature_date }}
        and {{ game_date }} >= cast({{ dbt.dateadd('day', -feature_history_days(), feature_date) }} as date)
{%- endmacro %}

{#- Who a pre-game run expects to play on each date of the window: every player whose latest game
    before the date (a box-score row, played or not) was for a team that plays that date, in the
    same season. Known at 12:45 from earlier box scores and the date's schedule, so the rows are the
    same whether the date is built before its games or after. Defines the CTEs teams_playing,
    player_spans and expected_players (game_date, player_lookup). -#}
{% macro expected_players_ctes() -%}
teams_playing as (
    select game_date, season, home_team_abbr as team_abbr
    from {{ ref('stg_nba_raw__schedule') }} as s
    where {{ in_window('game_date') }}
    union all
    select game_date, season, away_team_abbr as team_abbr
    from {{ ref('stg_nba_raw__schedule') }} as s
    where {{ in_window('game_date') }}
),

player_spans as (
    -- Each game of a player and the date of his next one: it is his latest game before every date
    -- after it up to that one (the next game only bounds the span; nothing of it is read).
    select
        player_lookup,
        team_abbr,
        season,
        game_date,
        lead(game_date) over (partition by player_lookup order by game_date) as next_game_date
    from {{ ref('player_game_summary') }}
    where game_date >= cast({{ dbt.dateadd('day', -feature_history_days(), window_start()) }} as date)
        and game_date < {{ window_end() }}
),

expected_players as (
    select t.game_date, p.player_lookup
    from teams_playing as t
    inner join player_spans as p
        on p.team_abbr = t.team_abbr
        and p.season = t.season
        and p.game_date < t.game_date
        and (p.next_game_date is null or p.next_game_date >= t.game_date)
)
{%- endmacro %}

{#- The player side, from the CTE `spine`. `stats`: {name: expression over the box-score alias
    `g`}, e.g. {'points': 'g.points'}. Defines the CTEs
      prior_any       every earlier game of the player (played or not), most recent first;
      with_game       each spine row with the player's team (his last team; with a line, only when
                      it plays in the line's game), game (his team's, else his line's), season,
                      home_away, opponent_abbr and last_player_name (his latest box score's);
      prior_played    the earlier games he played (minutes > 0), most recent first;
      player_history  per stat <name>_avg_last_5, _avg_last_10, _avg_season, _std_last_10,
                      _per_minute_last_10; minutes_avg_last_10, games_played_season,
                      games_in_last_7_days, games_in_last_10_window, last_played_date
                      (averages over games played). -#}
{% macro player_history_ctes(stats) -%}
prior_any as (
    select
        s.game_date as feature_date,
        s.player_lookup,
        g.game_date,
        g.player_name,
        g.team_abbr,
        g.minutes,
        g.played,
        g.season,
        {%- for name, expression in stats.items() %}
        {{ expression }} as {{ name }},
        {%- endfor %}
        row_number() over (
            partition by s.game_date, s.player_lookup order by g.game_date desc
        ) as recency_any
    from spine as s
    inner join {{ ref('player_game_summary') }} as g
        on g.player_lookup = s.player_lookup
        and {{ before_feature_date('g.game_date', 's.game_date') }}
),

last_team as (
    select feature_date, player_lookup, team_abbr as last_team_abbr, player_name as last_player_name
    from prior_any
    where recency_any = 1
),

resolved as (
    -- The player's team as known before tip-off: his last team. With a line whose game that team
    -- does not play (traded since, or no earlier game) it is unknown; the game is the line's.
    select
        s.*,
        case
            when s.line_home_team_abbr is null
                or t.last_team_abbr in (s.line_home_team_abbr, s.line_away_team_abbr)
                then t.last_team_abbr
        end as team_abbr,
        t.last_player_name
    from spine as s
    left join last_team as t
        on t.feature_date = s.game_date and t.player_lookup = s.player_lookup
),

with_game as (
    select
        r.*,
        g.game_id,
        g.season,
        case when g.home_team_abbr = r.team_abbr then 'HOME'
             when g.away_team_abbr = r.team_abbr then 'AWAY' end as home_away,
        case when g.home_team_abbr = r.team_abbr then g.away_team_abbr
             when g.away_team_abbr = r.team_abbr then g.home_team_abbr end as opponent_abbr
    from resolved as r
    left join {{ ref('stg_nba_raw__schedule') }} as g
        on g.game_date = r.game_date
        and (g.home_team_abbr = r.team_abbr or g.away_team_abbr = r.team_abbr
             or (r.team_abbr is null and g.home_team_abbr = r.line_home_team_abbr
                 and g.away_team_abbr = r.line_away_team_abbr))
),

prior_played as (
    select
        p.*,
        row_number() over (
            partition by p.feature_date, p.player_lookup order by p.game_date desc
        ) as recency
    from prior_any as p
    where p.played
),

player_history as (
    select
        h.feature_date as game_date,
        h.player_lookup,
        {%- for name in stats %}
        avg(case when h.recency <= 5 then h.{{ name }} end) as {{ name }}_avg_last_5,
        avg(case when h.recency <= 10 then h.{{ name }} end) as {{ name }}_avg_last_10,
        avg(case when h.season = w.season then h.{{ name }} end) as {{ name }}_avg_season,
        stddev_samp(case when h.recency <= 10 then h.{{ name }} end) as {{ name }}_std_last_10,
        sum(case when h.recency <= 10 then h.{{ name }} end)
            / nullif(sum(case when h.recency <= 10 then h.minutes end), 0) as {{ name }}_per_minute_last_10,
        {%- endfor %}
        avg(case when h.recency <= 10 then h.minutes end) as minutes_avg_last_10,
        sum(case when h.season = w.season then 1 else 0 end) as games_played_season,
        sum(case when h.game_date >= cast({{ dbt.dateadd('day', -7, 'h.feature_date') }} as date)
                 then 1 else 0 end) as games_in_last_7_days,
        least(count(*), 10) as games_in_last_10_window,
        max(h.game_date) as last_played_date
    from prior_played as h
    inner join with_game as w
        on w.game_date = h.feature_date and w.player_lookup = h.player_lookup
    group by h.feature_date, h.player_lookup
)
{%- endmacro %}

{#- The opponent side: what each date's opponent allowed in its last 10 games before the date.
    `team_games`: a relation of (game_date, team_abbr, the allowed columns), one row per team and
    game; `allowed`: {output name: its column}. Defines the CTEs opponent_games and
    opponent_allowed (feature_date, opponent_abbr, each output name, last_opponent_game_date). -#}
{% macro opponent_allowed_ctes(team_games, allowed) -%}
opponent_games as (
    select
        o.game_date as feature_date,
        o.opponent_abbr,
        t.game_date as allowed_game_date,
        {%- for column in allowed.values() %}
        t.{{ column }},
        {%- endfor %}
        row_number() over (
            partition by o.game_date, o.opponent_abbr order by t.game_date desc
        ) as recency
    from (select distinct game_date, opponent_abbr from with_game where opponent_abbr is not null) as o
    inner join {{ team_games }} as t
        on t.team_abbr = o.opponent_abbr
        and {{ before_feature_date('t.game_date', 'o.game_date') }}
),

opponent_allowed as (
    select
        feature_date,
        opponent_abbr,
        {%- for name, column in allowed.items() %}
        avg({{ column }}) as {{ name }},
        {%- endfor %}
        max(allowed_game_date) as last_opponent_game_date
    from opponent_games
    where recency <= 10
    group by feature_date, opponent_abbr
)
{%- endmacro %}

{#- A feature row's player and game, from with_game (alias `w`), as the feature table names them:
    the name of his latest earlier box score, else the spine's (the sportsbook's). -#}
{% macro player_game_columns() -%}
    coalesce(w.last_player_name, w.player_name) as player_name,
    w.game_id,
    w.season,
    w.team_abbr,
    w.opponent_abbr,
    w.home_away
{%- endmacro %}
