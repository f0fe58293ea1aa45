-- Every prediction graded against what happened:
--   WIN / LOSS / PUSH  an OVER or UNDER pick of a player who played, against the line;
--   PASS, NO_LINE      the player played, no pick to grade (no hit/miss);
--   VOID               the player did not play (listed with 0 minutes, or absent from the final
--                      box score of his team's game; a player of unknown team: absent from every
--                      box score of a date whose results are all in);
--   PENDING            the game is not final, or its box score has not arrived (a late game):
--                      not graded yet; graded when the box score arrives.
-- absolute_error is set for every prediction whose player played; line_absolute_error is the
-- line's own error on the same row, so systems and the market are compared on the same rows.
with predictions as (
    select * from {{ source('nba_predictions', 'player_prop_predictions') }}
    where {{ in_window('game_date') }}
),

actuals as (
    select game_date, player_lookup, points, minutes, played
    from {{ ref('player_game_summary') }}
    where {{ in_window('game_date') }}
),

box_score_teams as (
    -- Teams whose box score has arrived: a player absent from a missing box score is not VOID.
    select distinct game_date, team_abbr
    from {{ ref('player_game_summary') }}
    where {{ in_window('game_date') }}
),

games as (
    select game_date, home_team_abbr, away_team_abbr, is_final
    from {{ ref('stg_schedule') }}
    where {{ in_window('game_date') }}
),

dates_complete as (
    -- Dates whose every game is final with both teams' box scores: a player of unknown team
    -- (no earlier game on record) absent from all of them did not play.
    select
        g.game_date,
        min(case when g.is_final and h.team_abbr is not null and v.team_abbr is not null
            then 1 else 0 end) = 1 as all_results_in
    from games as g
    left join box_score_teams as h
        on h.game_date = g.game_date and h.team_abbr = g.home_team_abbr
    left join box_score_teams as v
        on v.game_date = g.game_date and v.team_abbr = g.away_team_abbr
    group by g.game_date
),

joined as (
    select
        p.game_date,
        p.player_lookup,
        p.system_id,
        p.team_abbr,
        p.predicted_points,
        p.line,
        p.edge,
        p.recommendation,
        p.confidence,
        a.points as actual_points,
        a.minutes as actual_minutes,
        case
            when a.player_lookup is not null and a.played then 'PLAYED'
            when a.player_lookup is not null then 'DNP'
            when g.is_final and b.team_abbr is not null then 'NOT_LISTED'
            when p.team_abbr is null and d.all_results_in then 'NOT_LISTED'
            else 'NO_BOX_SCORE'
        end as player_outcome
    from predictions as p
    left join actuals as a
        on a.game_date = p.game_date and a.player_lookup = p.player_lookup
    left join games as g
        on g.game_date = p.game_date
        and (g.home_team_abbr = p.team_abbr or g.away_team_abbr = p.team_abbr)
    left join box_score_teams as b
        on b.game_date = p.game_date and b.team_abbr = p.team_abbr
    left join dates_complete as d
        on d.game_date = p.game_date
)

select
    game_date,
    player_lookup,
    system_id,
    team_abbr,
    predicted_points,
    line,
    edge,
    recommendation,
    confidence,
    actual_points,
    actual_minutes,
    player_outcome,
    case
        when player_outcome in ('DNP', 'NOT_LISTED') then 'VOID'
        when player_outcome = 'NO_BOX_SCORE' then 'PENDING'
        when line is null then 'NO_LINE'
        when recommendation = 'PASS' then 'PASS'
        when actual_points = line then 'PUSH'
        when (recommendation = 'OVER' and actual_points > line)
          or (recommendation = 'UNDER' and actual_points < line) then 'WIN'
        else 'LOSS'
    end as result,
    case
        when player_outcome <> 'PLAYED' or line is null or recommendation = 'PASS'
          or actual_points = line then null
        when (recommendation = 'OVER' and actual_points > line)
          or (recommendation = 'UNDER' and actual_points < line) then true
        else false
    end as is_hit,
    case when player_outcome = 'PLAYED' and predicted_points is not null
         then abs(predicted_points - actual_points) end as absolute_error,
    case when player_outcome = 'PLAYED' and line is not null
         then abs(line - actual_points) end as line_absolute_error,
    player_outcome <> 'NO_BOX_SCORE' as is_graded
from joined
