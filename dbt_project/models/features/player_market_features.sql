-- One row per player, game date and market (points, rebounds, assists, threes, pra, steals,
-- blocks) with that market's features computed ONLY from games strictly before the date (history
-- from the previous season included), and the market's consensus line and prices when posted.
-- Rows: every player listed in the date's box scores plus every player with a line in any market
-- that date, times every market (a walk-forward model learns from players without a line too).
-- Averages are over games the player played (minutes > 0). Each stat's history is computed once,
-- wide, then one row per market is taken from it: seven joins of the history would cost seven
-- times the work.
{% set history_days = 400 %}
{% set markets = prop_markets() %}

with box_today as (
    select game_date, player_lookup, max(player_name) as player_name, max(team_abbr) as team_abbr
    from {{ ref('player_game_summary') }}
    where {{ in_window('game_date') }}
    group by game_date, player_lookup
),

lines as (
    select *
    from {{ ref('market_lines_consensus') }}
    where {{ in_window('game_date') }}
),

line_players as (
    select game_date, player_lookup, max(player_name) as player_name,
           max(home_team_abbr) as home_team_abbr, max(away_team_abbr) as away_team_abbr
    from lines
    group by game_date, player_lookup
),

spine as (
    select
        coalesce(b.game_date, l.game_date) as game_date,
        coalesce(b.player_lookup, l.player_lookup) as player_lookup,
        coalesce(b.player_name, l.player_name) as player_name,
        b.team_abbr as box_team_abbr
    from box_today as b
    full outer join line_players as l
        on l.game_date = b.game_date and l.player_lookup = b.player_lookup
),

-- Every earlier game of the player (played or not), most recent first: gives the last known team.
prior_any as (
    select
        s.game_date as feature_date,
        s.player_lookup,
        g.game_date,
        g.team_abbr,
        g.minutes,
        g.played,
        g.season,
        {%- for m in markets %}
        {{ market_stat('g', m.market) }} as stat_{{ m.market }},
        {%- endfor %}
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

with_game as (
    -- The player's team: the date's box score when listed, else his last team (pre-game).
    select
        s.game_date,
        s.player_lookup,
        s.player_name,
        g.game_id,
        g.season,
        coalesce(s.box_team_abbr, t.last_team_abbr) as team_abbr,
        case when g.home_team_abbr = coalesce(s.box_team_abbr, t.last_team_abbr) then 'HOME'
             when g.away_team_abbr = coalesce(s.box_team_abbr, t.last_team_abbr) then 'AWAY' end as home_away,
        case when g.home_team_abbr = coalesce(s.box_team_abbr, t.last_team_abbr) then g.away_team_abbr
             when g.away_team_abbr = coalesce(s.box_team_abbr, t.last_team_abbr) then g.home_team_abbr end as opponent_abbr
    from spine as s
    left join last_team as t
        on t.feature_date = s.game_date and t.player_lookup = s.player_lookup
    left join {{ ref('stg_schedule') }} as g
        on g.game_date = s.game_date
        and (g.home_team_abbr = coalesce(s.box_team_abbr, t.last_team_abbr)
             or g.away_team_abbr = coalesce(s.box_team_abbr, t.last_team_abbr))
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
        {%- for m in markets %}
        avg(case when h.recency <= 5 then h.stat_{{ m.market }} end) as {{ m.market }}_avg_last_5,
        avg(case when h.recency <= 10 then h.stat_{{ m.market }} end) as {{ m.market }}_avg_last_10,
        avg(case when h.season = w.season then h.stat_{{ m.market }} end) as {{ m.market }}_avg_season,
        stddev_samp(case when h.recency <= 10 then h.stat_{{ m.market }} end) as {{ m.market }}_std_last_10,
        sum(case when h.recency <= 10 then h.stat_{{ m.market }} end)
            / nullif(sum(case when h.recency <= 10 then h.minutes end), 0) as {{ m.market }}_per_minute_last_10,
        {%- endfor %}
        avg(case when h.recency <= 10 then h.minutes end) as minutes_avg_last_10,
        sum(case when h.season = w.season then 1 else 0 end) as games_played_season,
        least(count(*), 10) as games_in_last_10_window,
        max(h.game_date) as last_played_date
    from prior_played as h
    inner join with_game as w
        on w.game_date = h.feature_date and w.player_lookup = h.player_lookup
    group by h.feature_date, h.player_lookup
),

-- What each team allowed per stat in each game: the sum over the players who played against it
-- (2024-25 box scores are partial, ~84% of players: its allowed totals run low, consistently).
team_allowed as (
    select
        game_date,
        opponent_abbr as team_abbr,
        {%- for m in markets %}
        sum({{ market_stat('g', m.market) }}) as allowed_{{ m.market }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('player_game_summary') }} as g
    where g.played
    group by game_date, opponent_abbr
),

opponent_games as (
    select
        o.game_date as feature_date,
        o.opponent_abbr,
        t.game_date as allowed_game_date,
        {%- for m in markets %}
        t.allowed_{{ m.market }},
        {%- endfor %}
        row_number() over (
            partition by o.game_date, o.opponent_abbr order by t.game_date desc
        ) as recency
    from (select distinct game_date, opponent_abbr from with_game where opponent_abbr is not null) as o
    inner join team_allowed as t
        on t.team_abbr = o.opponent_abbr
        and t.game_date < o.game_date
        and t.game_date >= cast({{ dbt.dateadd('day', -history_days, 'o.game_date') }} as date)
),

opponent_allowed as (
    select
        feature_date,
        opponent_abbr,
        {%- for m in markets %}
        avg(allowed_{{ m.market }}) as {{ m.market }}_allowed_last_10,
        {%- endfor %}
        max(allowed_game_date) as last_opponent_game_date
    from opponent_games
    where recency <= 10
    group by feature_date, opponent_abbr
)

{% for m in markets %}
select
    w.game_date,
    w.player_lookup,
    '{{ m.market }}' as market,
    w.player_name,
    w.game_id,
    w.season,
    w.team_abbr,
    w.opponent_abbr,
    w.home_away,
    h.{{ m.market }}_avg_last_5 as stat_avg_last_5,
    h.{{ m.market }}_avg_last_10 as stat_avg_last_10,
    h.{{ m.market }}_avg_season as stat_avg_season,
    h.{{ m.market }}_std_last_10 as stat_std_last_10,
    h.{{ m.market }}_per_minute_last_10 as stat_per_minute_last_10,
    h.minutes_avg_last_10,
    coalesce(h.games_played_season, 0) as games_played_season,
    coalesce(h.games_in_last_10_window, 0) as games_in_last_10_window,
    {{ dbt.datediff('h.last_played_date', 'w.game_date', 'day') }} as days_rest,
    d.{{ m.market }}_allowed_last_10 as opponent_allowed_last_10,
    l.consensus_line,
    l.n_books,
    l.over_odds,
    l.under_odds,
    l.consensus_line is not null as has_line,
    -- The latest game any feature used (the player's or his opponent's): the leakage guard
    -- compares it with game_date. Spelled out: BigQuery's greatest() is null when one side is.
    case
        when h.last_played_date is null then d.last_opponent_game_date
        when d.last_opponent_game_date is null then h.last_played_date
        when d.last_opponent_game_date > h.last_played_date then d.last_opponent_game_date
        else h.last_played_date
    end as last_feature_game_date
from with_game as w
left join player_history as h
    on h.game_date = w.game_date and h.player_lookup = w.player_lookup
left join opponent_allowed as d
    on d.feature_date = w.game_date and d.opponent_abbr = w.opponent_abbr
left join lines as l
    on l.game_date = w.game_date and l.player_lookup = w.player_lookup and l.market = '{{ m.market }}'
{% if not loop.last %}union all{% endif %}
{% endfor %}
