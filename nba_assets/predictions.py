"""Predictions phase: points predictions per player, date and system, against the consensus line.

System `moving_average_v1` is the seed system's baseline: 0.5·L5 + 0.3·L10 + 0.2·season average.
When a component is missing (early season: no current-season game yet) the weights of the present
ones are renormalized; with no history at all there is no prediction (predicted_points is null,
recommendation PASS). Every feature-store row gets a row, so every player with a line is listed.
"""


import math
from typing import TYPE_CHECKING

from dagster import (
    AssetExecutionContext,
    BackfillPolicy,
    Config,
    MaterializeResult,
    asset,
)
from pydantic import Field

from nba_assets.metadata import preview_metadata
from nba_assets.partitions import daily_partitions
from nba_assets.window import window_bounds
from resources.warehouse import DuckDBWarehouse

if TYPE_CHECKING:
    import pandas as pd

PREDICTIONS_SCHEMA = "nba_predictions"
PREDICTIONS_TABLE = "player_prop_predictions"

COLUMN_TYPES = {
    "game_date": "DATE",
    "player_lookup": "VARCHAR",
    "player_name": "VARCHAR",
    "team_abbr": "VARCHAR",
    "opponent_abbr": "VARCHAR",
    "system_id": "VARCHAR",
    "predicted_points": "DOUBLE",
    "line": "DOUBLE",
    "edge": "DOUBLE",
    "recommendation": "VARCHAR",
    "confidence": "DOUBLE",
    "features_complete": "BOOLEAN",
}

MOVING_AVERAGE_WEIGHTS = {"points_avg_last_5": 0.5, "points_avg_last_10": 0.3,
                          "points_avg_season": 0.2}
# Scoring spread assumed when a player has too few games for his own L10 deviation.
DEFAULT_POINTS_STD = 6.0


class PredictionConfig(Config):
    edge_threshold: float = Field(
        default=2.0, description="|edge| at or above which the pick is OVER/UNDER, else PASS.")


def moving_average(features: "pd.DataFrame") -> "pd.Series":
    import pandas as pd

    weighted = pd.Series(0.0, index=features.index)
    weights = pd.Series(0.0, index=features.index)
    for column, weight in MOVING_AVERAGE_WEIGHTS.items():
        present = features[column].notna()
        weighted = weighted + features[column].fillna(0.0) * weight
        weights = weights + present * weight
    return (weighted / weights).where(weights > 0)


def recommend(edge: "pd.Series", threshold: float) -> "pd.Series":
    import numpy as np

    return np.select([edge >= threshold, edge <= -threshold], ["OVER", "UNDER"], default="PASS")


def confidence(edge: "pd.Series", points_std: "pd.Series") -> "pd.Series":
    """P(the result lands on the pick's side) if errors were normal with the player's L10 spread."""
    spread = points_std.fillna(DEFAULT_POINTS_STD).clip(lower=2.0)
    z = edge.abs() / spread
    return z.map(lambda v: 0.5 * (1 + math.erf(v / math.sqrt(2))) if v == v else math.nan).astype(float)


def predict_moving_average(features: "pd.DataFrame", threshold: float) -> "pd.DataFrame":
    import pandas as pd

    numeric = list(MOVING_AVERAGE_WEIGHTS) + ["vegas_points_line", "points_std_last_10"]
    features = features.astype({column: float for column in numeric})
    predicted = moving_average(features).round(2)
    line = features["vegas_points_line"]
    edge = (predicted - line).round(2)
    recommendation = pd.Series(recommend(edge, threshold), index=features.index)
    recommendation = recommendation.where(predicted.notna() & line.notna(), "PASS")
    return pd.DataFrame({
        "game_date": features["game_date"],
        "player_lookup": features["player_lookup"],
        "player_name": features["player_name"],
        "team_abbr": features["team_abbr"],
        "opponent_abbr": features["opponent_abbr"],
        "system_id": "moving_average_v1",
        "predicted_points": predicted,
        "line": line,
        "edge": edge,
        "recommendation": recommendation,
        "confidence": confidence(edge, features["points_std_last_10"]).round(3),
        "features_complete": features[list(MOVING_AVERAGE_WEIGHTS)].notna().all(axis=1),
    })


@asset(
    group_name="predictions",
    partitions_def=daily_partitions,
    backfill_policy=BackfillPolicy.single_run(),
    pool="duckdb",
    owners=["team:nba-data"],
    kinds={"python", "pandas", "duckdb"},
    deps=["ml_feature_store"],
    description="Predicted points per player, date and system with the consensus line, edge, "
    "OVER/UNDER/PASS and confidence; written to nba_predictions.player_prop_predictions.",
)
def player_prop_predictions(context: AssetExecutionContext, config: PredictionConfig,
                            warehouse: DuckDBWarehouse) -> MaterializeResult:
    start, end = window_bounds(context)
    features = warehouse.query(
        f"SELECT * FROM {warehouse.relation('nba_features', 'ml_feature_store')} "
        "WHERE game_date >= ? AND game_date < ?",
        [start, end],
    )
    predictions = predict_moving_average(features, config.edge_threshold)
    written = warehouse.replace_window(PREDICTIONS_SCHEMA, PREDICTIONS_TABLE, predictions,
                                       COLUMN_TYPES, start, end)
    with_line = predictions[predictions["line"].notna()]
    return MaterializeResult(metadata={
        "dagster/row_count": written,
        "with_line": len(with_line),
        "with_line_no_prediction": int(with_line["predicted_points"].isna().sum()),
        "picks_over": int((predictions["recommendation"] == "OVER").sum()),
        "picks_under": int((predictions["recommendation"] == "UNDER").sum()),
        "edge_threshold": config.edge_threshold,
        **preview_metadata(with_line.sort_values("edge", key=abs, ascending=False)),
    })

