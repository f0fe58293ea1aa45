{#- The feature rules of player_market_features (every market). A feature of game date D uses only games strictly before D (before_feature_date), so a
    prediction made before tip-off sees the same values; the leakage guards (defs/checks.py, the
    no_feature_leakage dbt test) check it on every row through last_feature_game_date.

    A features model builds a CTE `spine` (game_date, player_lookup, player_name, box_team_abbr:
    the player's team in the date's box score, null when not listed), then adds
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

{#- Every player listed in the window's box scores, per date, with his team that date. -#}
{% macro box_score_players() -%}
    select game_date, player_lookup, max(player_name) as player_name, max(team_abbr) as team_abbr
    from {{ ref('player_game_summary') }}
    where {{ in_window('game_date') }}
    group by game_date, player_lookup
{%- endmacro %}

{#- The player side, from the CTE `spine`. `stats`: {name: expression over the box-score alias
    `g`}, e.g. {'points': 'g.points'}. Defines the CTEs
      prior_any       every earlier game of the player (played or not), most recent first;
      with_game       each spine row with the player's team (the date's box score when listed, else
                      his last team: pre-game), game, season, home_away and opponent_abbr;
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
    select feature_date, player_lookup, team_abbr as last_team_abbr
    from prior_any
    where recency_any = 1
),

resolved as (
    -- The player's team: the date's box score when listed, else the last team (pre-game).
    select
        s.*,
        coalesce(s.box_team_abbr, t.last_team_abbr) as team_abbr
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
        and (g.home_team_abbr = r.team_abbr or g.away_team_abbr = r.team_abbr)
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

{#- A feature row's player and game, from with_game (alias `w`), as the feature table names them. -#}
{% macro player_game_columns() -%}
    w.player_name,
    w.game_id,
    w.season,
    w.team_abbr,
    w.opponent_abbr,
    w.home_away
{%- endmacro %}
