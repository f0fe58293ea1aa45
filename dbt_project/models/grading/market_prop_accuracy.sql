-- Every market prediction graded against what happened, by market: the rules of macros/grading.sql
-- on the market's stat (PRA: points + rebounds + assists). absolute_error is set for every
-- prediction whose player played; line_absolute_error is the line's own error on the same row.
-- line_outcome is the side the result fell on (OVER / UNDER / PUSH) for every played row with a
-- line, pick or not: probabilities are scored on it (Brier, log loss), the system's and the
-- market's alike, on the same rows.
with {{ grading_inputs(source('nba_predictions', 'market_prop_predictions'), market_stat_columns()) }},

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
        {{ player_outcome() }} as player_outcome
    {{ player_outcome_joins() }}
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
    {{ pick_result('actual_value') }} as result,
    {{ played_abs_error('predicted_value', 'actual_value') }} as absolute_error,
    {{ played_abs_error('line', 'actual_value') }} as line_absolute_error,
    player_outcome <> 'NO_BOX_SCORE' as is_graded
from joined
