{#- The grading rules of market_prop_accuracy (every market): what happened to a predicted player, and what that makes of his pick.

    A grading model starts
        with {{ grading_inputs(predictions relation, box-score stat columns) }}, ...
    (the window's predictions and actuals, and what the rules read), selects
        {{ player_outcome() }}            the player's outcome,
        {{ player_outcome_joins() }}      from this from clause (aliases p, a, g, b, d),
    and grades those rows with pick_result / played_abs_error.

    player_outcome:
      PLAYED        in the box score with minutes > 0;
      DNP           in the box score with 0 minutes;
      NOT_LISTED    absent from his team's final box score; a player of unknown team (no earlier
                    game on record): absent from every box score of a date whose results are all in;
      NO_BOX_SCORE  anything else: the game is not final or its box score has not arrived (a late
                    game), so the row is not graded yet (graded when the box score arrives).
    result (pick_result):
      VOID               the player did not play (DNP, NOT_LISTED);
      PENDING            NO_BOX_SCORE;
      NO_LINE, PASS      the player played, no pick to grade (no hit or miss);
      PUSH / WIN / LOSS  an OVER or UNDER pick against the line (PUSH: a whole line hit exactly). -#}

{#- The CTEs of a grading model's inputs, over the run's window: `predictions` (every column of
    the `predictions` relation), `actuals` (the players' box-score rows: `stat_columns`, minutes,
    played), and box_score_teams, games, dates_complete, which player_outcome() reads. -#}
{% macro grading_inputs(predictions, stat_columns) -%}
predictions as (
    select * from {{ predictions }}
    where {{ in_window('game_date') }}
),

actuals as (
    select game_date, player_lookup, {{ stat_columns | join(', ') }}, minutes, played
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
    from {{ ref('stg_nba_raw__schedule') }}
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
)
{%- endmacro %}

{% macro player_outcome() -%}
    case
        when a.player_lookup is not null and a.played then 'PLAYED'
        when a.player_lookup is not null then 'DNP'
        when g.is_final and b.team_abbr is not null then 'NOT_LISTED'
        when p.team_abbr is null and d.all_results_in then 'NOT_LISTED'
        else 'NO_BOX_SCORE'
    end
{%- endmacro %}

{#- The from clause player_outcome() reads: each prediction (p) with the player's box-score row
    (a), his team's game (g), whether his team's box score arrived (b), whether the date's results
    are all in (d). -#}
{% macro player_outcome_joins(predictions='predictions', actuals='actuals') -%}
    from {{ predictions }} as p
    left join {{ actuals }} as a
        on a.game_date = p.game_date and a.player_lookup = p.player_lookup
    left join games as g
        on g.game_date = p.game_date
        and (g.home_team_abbr = p.team_abbr or g.away_team_abbr = p.team_abbr)
    left join box_score_teams as b
        on b.game_date = p.game_date and b.team_abbr = p.team_abbr
    left join dates_complete as d
        on d.game_date = p.game_date
{%- endmacro %}

{#- A pick's result from a row's player_outcome, line, recommendation and the `actual` stat. -#}
{% macro pick_result(actual) -%}
    case
        when player_outcome in ('DNP', 'NOT_LISTED') then 'VOID'
        when player_outcome = 'NO_BOX_SCORE' then 'PENDING'
        when line is null then 'NO_LINE'
        when recommendation = 'PASS' then 'PASS'
        when {{ actual }} = line then 'PUSH'
        when (recommendation = 'OVER' and {{ actual }} > line)
          or (recommendation = 'UNDER' and {{ actual }} < line) then 'WIN'
        else 'LOSS'
    end
{%- endmacro %}

{#- |estimate - actual| on the rows whose player played: a system's error and the line's own error
    on the same rows, so systems and the market are compared alike. -#}
{% macro played_abs_error(estimate, actual) -%}
    case when player_outcome = 'PLAYED' and {{ estimate }} is not null
         then abs({{ estimate }} - {{ actual }}) end
{%- endmacro %}
