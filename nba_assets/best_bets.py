"""Best bets: the seed system's rule, adapted. ML system only; OVER/UNDER picks ranked by |edge|;
tiers premium (|edge| >= 5), strong (3-5), value (below 3); at most 2 picks per team and 15 a day."""

from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, MaterializeResult, asset

from nba_assets.metadata import preview_metadata, rows_by_date, window_metadata
from nba_assets.asset_defaults import partitioned
from nba_assets.predictions import ML_SYSTEM, PREDICTIONS_SCHEMA
from nba_assets.window import window_bounds
from resources.interfaces import Warehouse

if TYPE_CHECKING:
    import pandas as pd

MAX_PER_TEAM = 2
MAX_PER_DAY = 15

COLUMN_TYPES = {
    "game_date": "DATE",
    "rank": "INTEGER",
    "tier": "VARCHAR",
    "player_lookup": "VARCHAR",
    "player_name": "VARCHAR",
    "team_abbr": "VARCHAR",
    "opponent_abbr": "VARCHAR",
    "system_id": "VARCHAR",
    "recommendation": "VARCHAR",
    "line": "DOUBLE",
    "predicted_points": "DOUBLE",
    "edge": "DOUBLE",
    "confidence": "DOUBLE",
}


def tier(edge: float) -> str:
    magnitude = abs(edge)
    return "premium" if magnitude >= 5 else "strong" if magnitude >= 3 else "value"


def select_best_bets(picks: "pd.DataFrame") -> "pd.DataFrame":
    """Per date: strongest |edge| first, at most 2 per team, at most 15."""
    import pandas as pd

    chosen = []
    ordered = picks.assign(magnitude=picks["edge"].abs()).sort_values(
        ["game_date", "magnitude", "confidence", "player_lookup"], ascending=[True, False, False, True])
    for _, day in ordered.groupby("game_date", sort=True):
        per_team = day.groupby("team_abbr", dropna=False).cumcount()
        kept = day[per_team < MAX_PER_TEAM].head(MAX_PER_DAY)
        chosen.append(kept.assign(rank=range(1, len(kept) + 1)))
    if not chosen:
        return pd.DataFrame(columns=list(COLUMN_TYPES))
    result = pd.concat(chosen, ignore_index=True)
    result["tier"] = result["edge"].map(tier)
    return result[list(COLUMN_TYPES)]


@asset(
    **partitioned("predictions", {"python", "pandas", "duckdb"}),
    deps=["player_prop_predictions"],
    description="The day's best bets from the ML system: tiers premium / strong / value by |edge|, "
    "at most 2 per team and 15 per day; nba_predictions.best_bets.",
)
def best_bets(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    start, end = window_bounds(context)
    picks = warehouse.query(
        f"SELECT * FROM {warehouse.relation(PREDICTIONS_SCHEMA, 'player_prop_predictions')} "
        "WHERE game_date >= ? AND game_date < ? AND system_id = ? AND recommendation IN ('OVER', 'UNDER')",
        [start, end, ML_SYSTEM],
    )
    chosen = select_best_bets(picks)
    warehouse.replace_window(PREDICTIONS_SCHEMA, "best_bets", chosen, COLUMN_TYPES, start, end)
    return MaterializeResult(metadata={
        **window_metadata(context, rows_by_date(chosen), preview_metadata(chosen)),
        **{f"tier_{name}": int((chosen["tier"] == name).sum()) for name in ("premium", "strong", "value")},
    })
