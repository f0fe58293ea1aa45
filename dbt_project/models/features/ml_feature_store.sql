-- One row per player and game date with features computed ONLY from games strictly before that
-- date (history from the previous season included). Rows: every player listed in the date's box
-- scores plus every player with a points line that date (pre-game, the lines are what is known).
-- Averages are over games the player played (minutes > 0).
{% set history_days = 400 %}

with box_today as (
    select game_date, player_lookup, max(player_name) as player_name, max(team_abbr) as team_abbr
    from {{ ref('player_game_summary') }}
    where {{ in_window('game_date') }}
    group by game_date, player_lookup
),

lines as (
    select game_date, player_lookup, player_name, home_team_abbr, away_team_abbr,
           consensus_line, n_books
    from {{ ref('prop_lines_consensus') }}
    where {{ in_window('game_date') }}
),

spine as (
    select
        coalesce(b.game_date, l.game_date) as game_date,
        coalesce(b.player_lookup, l.player_lookup) as player_lookup,
        coalesce(b.player_name, l.player_name) as player_name,
        b.team_abbr as box_team_abbr,
        l.home_team_abbr as line_home_team_abbr,
        l.away_team_abbr as line_away_team_abbr,
        l.consensus_line,
        l.n_books
    from box_today as b
    full outer join lines as l
        on l.game_date = b.game_date and l.player_lookup = b.player_lookup
),

-- Every earlier game of the player (played or not), most recent first: gives the last known team.
prior_any as (
    select
        s.game_date as feature_date,
        s.player_lookup,
        g.game_date,
        g.team_abbr,
        g.points,
        g.minutes,
        g.played,
        g.season,
        row_number() over (
            partition by s.game_date, s.player_lookup order by g.game_date desc
        ) as recency_any
    from spine as s
    inner join {{ ref('player_game_summary') }} as g
        on g.player_lookup = s.player_lookup
        and g.game_date < s.game_date
        and g.game_date >= cast({{ dbt.dateadd('day', -history_days, 's.game_date') }} as date)
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
    left join {{ ref('stg_schedule') }} as g
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
        avg(case when h.recency <= 5 then h.points end) as points_avg_last_5,
        avg(case when h.recency <= 10 then h.points end) as points_avg_last_10,
        stddev_samp(case when h.recency <= 10 then h.points end) as points_std_last_10,
        avg(case when h.recency <= 10 then h.minutes end) as minutes_avg_last_10,
        sum(case when h.recency <= 10 then h.points end)
            / nullif(sum(case when h.recency <= 10 then h.minutes end), 0) as ppm_avg_last_10,
        avg(case when h.season = w.season then h.points end) as points_avg_season,
        sum(case when h.season = w.season then 1 else 0 end) as games_played_season,
        sum(case when h.game_date >= cast({{ dbt.dateadd('day', -7, 'h.feature_date') }} as date)
                 then 1 else 0 end) as games_in_last_7_days,
        least(count(*), 10) as games_in_last_10_window,
        max(h.game_date) as last_played_date
    from prior_played as h
    inner join with_game as w
        on w.game_date = h.feature_date and w.player_lookup = h.player_lookup
    group by h.feature_date, h.player_lookup
),

opponent_games as (
    select
        o.game_date as feature_date,
        o.opponent_abbr,
        t.points_allowed,
        row_number() over (
            partition by o.game_date, o.opponent_abbr order by t.game_date desc
        ) as recency
    from (select distinct game_date, opponent_abbr from with_game where opponent_abbr is not null) as o
    inner join {{ ref('team_game_summary') }} as t
        on t.team_abbr = o.opponent_abbr
        and t.game_date < o.game_date
        and t.game_date >= cast({{ dbt.dateadd('day', -history_days, 'o.game_date') }} as date)
),

opponent_defense as (
    select feature_date, opponent_abbr, avg(points_allowed) as opponent_def_rating
    from opponent_games
    where recency <= 10
    group by feature_date, opponent_abbr
)

select
    w.game_date,
    w.player_lookup,
    w.player_name,
    w.game_id,
    w.season,
    w.team_abbr,
    w.opponent_abbr,
    w.home_away,
    h.points_avg_last_5,
    h.points_avg_last_10,
    h.points_avg_season,
    h.points_std_last_10,
    h.minutes_avg_last_10,
    h.ppm_avg_last_10,
    coalesce(h.games_in_last_7_days, 0) as games_in_last_7_days,
    coalesce(h.games_played_season, 0) as games_played_season,
    {{ dbt.datediff('h.last_played_date', 'w.game_date', 'day') }} as days_rest,
    {{ dbt.datediff('h.last_played_date', 'w.game_date', 'day') }} = 1 as back_to_back,
    d.opponent_def_rating,
    w.consensus_line as vegas_points_line,
    w.n_books as vegas_books,
    w.consensus_line is not null as has_vegas_line,
    h.last_played_date as last_feature_game_date
from with_game as w
left join player_history as h
    on h.game_date = w.game_date and h.player_lookup = w.player_lookup
left join opponent_defense as d
    on d.feature_date = w.game_date and d.opponent_abbr = w.opponent_abbr
