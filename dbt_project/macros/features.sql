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

{#- A game of `games` (a relation alias with game_date and the date of the player's next game,
    `next_column`) is his latest game strictly before `feature_date`. -#}
{% macro latest_game_before(games, next_column, feature_date) -%}
    {{ games }}.game_date < {{ feature_date }}
        and ({{ games }}.{{ next_column }} is null or {{ games }}.{{ next_column }} >= {{ feature_date }})
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
        player_name,
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
        and {{ latest_game_before('p', 'next_game_date', 't.game_date') }}
)
{%- endmacro %}

{#- The player side, from the CTE `spine` and expected_players_ctes' `player_spans`. `stats`:
    {name: expression over the box-score alias `g`}, e.g. {'points': 'g.points'}. Defines the CTEs
      last_team       his latest earlier game (played or not): its team and name;
      with_game       each spine row with the player's team (his last team; with a line, only when
                      it plays in the line's game), game (his team's, else his line's), season,
                      home_away, opponent_abbr and last_player_name (his latest box score's);
      played_games    the games he played (minutes > 0), numbered in date order, with the next
                      one's date and the season's running sums and counts through each game;
      latest_played   his latest played game before the date (its number and season sums);
      last_ten        his last 10 played games before the date (recency 1 = the latest);
      player_history  per stat <name>_avg_last_5, _avg_last_10, _avg_season, _std_last_10,
                      _per_minute_last_10; minutes_avg_last_10, games_played_season,
                      games_in_last_10_window, last_played_date (averages over games played).
    Every game read is strictly before the date and within the history. Each date finds the
    player's latest game and reads 10 games back from it (and the season's sums at it) instead of
    joining all his games of 400 days: the same values, a season's build several times cheaper. -#}
{% macro player_history_ctes(stats) -%}
last_team as (
    select
        s.game_date as feature_date,
        s.player_lookup,
        p.team_abbr as last_team_abbr,
        p.player_name as last_player_name
    from spine as s
    inner join player_spans as p
        on p.player_lookup = s.player_lookup
        and {{ latest_game_before('p', 'next_game_date', 's.game_date') }}
        and {{ before_feature_date('p.game_date', 's.game_date') }}
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

played_games as (
    select
        g.player_lookup,
        g.game_date,
        g.season,
        g.minutes,
        {%- for name, expression in stats.items() %}
        {{ expression }} as {{ name }},
        sum({{ expression }}) over season_so_far as {{ name }}_season_sum,
        count({{ expression }}) over season_so_far as {{ name }}_season_count,
        {%- endfor %}
        sum(1) over season_so_far as season_games,  -- sum: the type of the count it replaced
        row_number() over (partition by g.player_lookup order by g.game_date) as played_number,
        lead(g.game_date) over (partition by g.player_lookup order by g.game_date) as next_played_date
    from {{ ref('player_game_summary') }} as g
    where g.played
        and g.game_date >= cast({{ dbt.dateadd('day', -feature_history_days(), window_start()) }} as date)
        and g.game_date < {{ window_end() }}
    window season_so_far as (
        partition by g.player_lookup, g.season order by g.game_date
        rows between unbounded preceding and current row
    )
),

latest_played as (
    select
        w.game_date as feature_date,
        w.player_lookup,
        w.season as feature_season,
        p.played_number,
        p.game_date as last_played_date,
        p.season,
        p.season_games,
        {%- for name in stats %}
        p.{{ name }}_season_sum,
        p.{{ name }}_season_count{{ ',' if not loop.last }}
        {%- endfor %}
    from with_game as w
    inner join played_games as p
        on p.player_lookup = w.player_lookup
        and {{ latest_game_before('p', 'next_played_date', 'w.game_date') }}
        and {{ before_feature_date('p.game_date', 'w.game_date') }}
),

last_ten as (
    select
        l.feature_date,
        l.player_lookup,
        l.played_number - p.played_number + 1 as recency,
        p.minutes,
        {%- for name in stats %}
        p.{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from latest_played as l
    inner join played_games as p
        on p.player_lookup = l.player_lookup
        and p.played_number between l.played_number - 9 and l.played_number
    where p.game_date >= cast({{ dbt.dateadd('day', -feature_history_days(), 'l.feature_date') }} as date)
),

last_ten_figures as (
    select
        feature_date,
        player_lookup,
        {%- for name in stats %}
        avg(case when recency <= 5 then {{ name }} end) as {{ name }}_avg_last_5,
        avg({{ name }}) as {{ name }}_avg_last_10,
        {#- The sample std from exact integer sums (the stats are counts): the same value whatever
            order the rows are added in; stddev_samp's running update differs in the last digit
            between runs, which changed the training rows' digest and refitted unchanged weeks. #}
        case when count({{ name }}) > 1 then sqrt(
            (count({{ name }}) * sum({{ name }} * {{ name }}) - sum({{ name }}) * sum({{ name }}))
            / (count({{ name }}) * (count({{ name }}) - 1))
        ) end as {{ name }}_std_last_10,
        sum({{ name }}) / nullif(sum(minutes), 0) as {{ name }}_per_minute_last_10,
        {%- endfor %}
        avg(minutes) as minutes_avg_last_10,
        count(*) as games_in_last_10_window
    from last_ten
    group by feature_date, player_lookup
),

player_history as (
    -- The season's figures are those through his latest played game when it is of the date's
    -- season (a season is shorter than the history: all its earlier games are in it).
    select
        l.feature_date as game_date,
        l.player_lookup,
        {%- for name in stats %}
        t.{{ name }}_avg_last_5,
        t.{{ name }}_avg_last_10,
        case when l.season = l.feature_season
             then l.{{ name }}_season_sum / nullif(l.{{ name }}_season_count, 0) end as {{ name }}_avg_season,
        t.{{ name }}_std_last_10,
        t.{{ name }}_per_minute_last_10,
        {%- endfor %}
        t.minutes_avg_last_10,
        case when l.season = l.feature_season then l.season_games else 0 end as games_played_season,
        t.games_in_last_10_window,
        l.last_played_date
    from latest_played as l
    inner join last_ten_figures as t
        on t.feature_date = l.feature_date and t.player_lookup = l.player_lookup
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
