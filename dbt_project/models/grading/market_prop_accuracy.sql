-- Every market prediction graded against what happened, by market (the same rules as
-- prediction_accuracy, on the market's stat; PRA on points + rebounds + assists):
--   WIN / LOSS / PUSH  an OVER or UNDER pick of a player who played (PUSH: a whole line hit exactly);
--   PASS, NO_LINE      the player played, no pick to grade;
--   VOID               the player did not play (0 minutes, or absent from his team's final box score);
--   PENDING            the game's box score has not arrived.
-- line_outcome is the side the result fell on (OVER / UNDER / PUSH) for every played row with a
-- line, pick or not: probabilities are scored on it (Brier, log loss), the system's and the
-- market's alike, on the same rows.
with predictions as (
    select * from {{ source('nba_predictions', 'market_prop_predictions') }}
    where {{ in_window('game_date') }}
),

actuals as (
    select game_date, player_lookup, points, rebounds, assists, fg3m, steals, blocks, minutes, played
    from {{ ref('player_game_summary') }}
    where {{ in_window('game_date') }}
),

box_score_teams as (
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
        p.market,
        p.system_id,
        p.team_abbr,
        p.predicted_value,
        p.line,
        p.over_odds,
        p.under_odds,
        p.p_over,
        p.p_under,
        p.p_push,
        p.market_p_over,
        p.recommendation,
        p.price,
        p.ev,
        p.stake,
        {{ market_stat('a', market_column='p.market') }} as actual_value,
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
    market,
    system_id,
    team_abbr,
    predicted_value,
    line,
    over_odds,
    under_odds,
    p_over,
    p_under,
    p_push,
    market_p_over,
    recommendation,
    price,
    ev,
    stake,
    actual_value,
    actual_minutes,
    player_outcome,
    case
        when player_outcome <> 'PLAYED' or line is null then null
        when actual_value > line then 'OVER'
        when actual_value < line then 'UNDER'
        else 'PUSH'
    end as line_outcome,
    case
        when player_outcome in ('DNP', 'NOT_LISTED') then 'VOID'
        when player_outcome = 'NO_BOX_SCORE' then 'PENDING'
        when line is null then 'NO_LINE'
        when recommendation = 'PASS' then 'PASS'
        when actual_value = line then 'PUSH'
        when (recommendation = 'OVER' and actual_value > line)
          or (recommendation = 'UNDER' and actual_value < line) then 'WIN'
        else 'LOSS'
    end as result,
    case when player_outcome = 'PLAYED' and predicted_value is not null
         then abs(predicted_value - actual_value) end as absolute_error,
    case when player_outcome = 'PLAYED' and line is not null
         then abs(line - actual_value) end as line_absolute_error,
    player_outcome <> 'NO_BOX_SCORE' as is_graded
from joined
