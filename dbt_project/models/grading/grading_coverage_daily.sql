-- Per game date and market: how many predictions with a line (every system) could be graded, and
-- how many were. status: EXCELLENT >= 95%, GOOD >= 90%, ACCEPTABLE >= 70%, POOR below.
with gradable as (
    select *
    from {{ ref('market_prop_accuracy') }}
    where line is not null
      and {{ in_window('game_date') }}
),

daily as (
    select
        game_date,
        market,
        count(*) as gradable,
        sum(case when is_graded then 1 else 0 end) as graded,
        sum(case when result in ('WIN', 'LOSS', 'PUSH') then 1 else 0 end) as bets,
        sum(case when result = 'WIN' then 1 else 0 end) as wins,
        sum(case when result = 'LOSS' then 1 else 0 end) as losses,
        sum(case when result = 'PUSH' then 1 else 0 end) as pushes,
        sum(case when result = 'VOID' then 1 else 0 end) as voids
    from gradable
    group by game_date, market
)

select
    game_date,
    market,
    gradable,
    graded,
    round(100.0 * graded / gradable, 1) as coverage_pct,
    case
        when 100.0 * graded / gradable >= 95 then 'EXCELLENT'
        when 100.0 * graded / gradable >= 90 then 'GOOD'
        when 100.0 * graded / gradable >= 70 then 'ACCEPTABLE'
        else 'POOR'
    end as status,
    bets,
    wins,
    losses,
    pushes,
    voids
from daily
