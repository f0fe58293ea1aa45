-- Every points prediction graded against what happened (the rules: macros/grading.sql).
-- absolute_error is set for every prediction whose player played; line_absolute_error is the
-- line's own error on the same row, so systems and the market are compared on the same rows.
with {{ grading_inputs(source('nba_predictions', 'player_prop_predictions'), ['points']) }},

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
        {{ player_outcome() }} as player_outcome
    {{ player_outcome_joins() }}
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
    {{ pick_result('actual_points') }} as result,
    {{ pick_hit('actual_points') }} as is_hit,
    {{ played_abs_error('predicted_points', 'actual_points') }} as absolute_error,
    {{ played_abs_error('line', 'actual_points') }} as line_absolute_error,
    player_outcome <> 'NO_BOX_SCORE' as is_graded
from joined
