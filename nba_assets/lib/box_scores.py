"""Final games lacking box scores: one rule for the completeness check and the circuit breaker
(defs/ingest/raw.py), the late_box_scores sensor (defs/operations/late_data.py) and the health
summary (defs/operations/health.py).

A game is final when the schedule has its score (`home_points`). Each final game has two sides
(home, away); a side lacks box scores when no box-score row of the same game id, team and game
date exists. A game lacks box scores when either side does.

`warehouse` is any object with `relation(schema, table)` and `query(sql, params)` (resources.interfaces.Warehouse).
"""

import datetime as dt
from typing import TYPE_CHECKING

from nba_assets.lib.tables import PLAYER_BOXSCORES, SCHEDULE

if TYPE_CHECKING:
    import pandas as pd

_SIDES = """
    WITH finals AS (
        SELECT game_date, game_id, home_team_abbr, away_team_abbr FROM {schedule}
        WHERE game_date >= ? AND game_date < ? AND home_points IS NOT NULL
    ),
    sides AS (
        SELECT game_date, game_id, home_team_abbr AS team_abbr, away_team_abbr AS opponent_abbr,
               home_team_abbr, away_team_abbr FROM finals
        UNION ALL
        SELECT game_date, game_id, away_team_abbr, home_team_abbr, home_team_abbr, away_team_abbr FROM finals
    ),
    present AS (
        SELECT DISTINCT game_date, game_id, team_abbr FROM {boxscores}
        WHERE game_date >= ? AND game_date < ?
    )
    SELECT s.game_date, s.game_id, s.team_abbr, s.opponent_abbr, s.home_team_abbr, s.away_team_abbr
    FROM sides s
    LEFT JOIN present p ON p.game_id = s.game_id AND p.team_abbr = s.team_abbr AND p.game_date = s.game_date
    WHERE p.game_id IS NULL
    ORDER BY s.game_date, s.game_id, s.team_abbr
"""


def missing_sides(warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    """Sides of final games of [start, end) without box-score rows: game_date, game_id, team_abbr,
    opponent_abbr, home_team_abbr, away_team_abbr; ordered by date, game, team."""
    sql = _SIDES.format(schedule=warehouse.relation(*SCHEDULE), boxscores=warehouse.relation(*PLAYER_BOXSCORES))
    return warehouse.query(sql, [start, end, start, end])


def final_games_per_date(warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    """game_date, final_games for the dates of [start, end) that have final games."""
    return warehouse.query(
        f"SELECT game_date, count(*) AS final_games FROM {warehouse.relation(*SCHEDULE)} "
        "WHERE game_date >= ? AND game_date < ? AND home_points IS NOT NULL GROUP BY game_date",
        [start, end],
    )
