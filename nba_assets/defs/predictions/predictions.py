"""Predictions phase: points predictions per player, date and system, against the consensus line.

System `moving_average_v1` is the seed system's baseline: 0.5·L5 + 0.3·L10 + 0.2·season average.
When a component is missing (early season: no current-season game yet) the weights of the present
ones are renormalized; with no history at all there is no prediction (predicted_points is null,
recommendation PASS). Every feature-store row gets a row, so every player with a line is listed.

System `ml_points_v1` uses the points model of the date's week (trained before its Monday). Players
whose features are incomplete (no usable history) get no ML row; the count is in the metadata.
"""

import math
from typing import TYPE_CHECKING

from dagster import (
    AssetDep,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from nba_assets.lib import tables
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.metadata import preview_metadata, rows_by_date, window_metadata
from nba_assets.lib.ml_features import complete
from nba_assets.lib.window import window_bounds
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import pandas as pd


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

ML_SYSTEM = "ml_points_v1"
MOVING_AVERAGE_WEIGHTS = {"points_avg_last_5": 0.5, "points_avg_last_10": 0.3, "points_avg_season": 0.2}
# Scoring spread assumed when a player has too few games for his own L10 deviation.
DEFAULT_POINTS_STD = 6.0


class PredictionConfig(Config):
    edge_threshold: float = Field(
        default=2.0, description="|edge| at or above which the pick is OVER/UNDER, else PASS."
    )


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


def prediction_rows(
    features: "pd.DataFrame", system_id: str, predicted: "pd.Series", threshold: float
) -> "pd.DataFrame":
    """The prediction columns for `predicted` points: line, edge, pick and confidence."""
    import pandas as pd

    predicted = predicted.astype(float).round(2)
    line = features["vegas_points_line"].astype(float)
    edge = (predicted - line).round(2)
    recommendation = pd.Series(recommend(edge, threshold), index=features.index)
    recommendation = recommendation.where(predicted.notna() & line.notna(), "PASS")
    return pd.DataFrame(
        {
            "game_date": features["game_date"],
            "player_lookup": features["player_lookup"],
            "player_name": features["player_name"],
            "team_abbr": features["team_abbr"],
            "opponent_abbr": features["opponent_abbr"],
            "system_id": system_id,
            "predicted_points": predicted,
            "line": line,
            "edge": edge,
            "recommendation": recommendation,
            "confidence": confidence(edge, features["points_std_last_10"].astype(float)).round(3),
            "features_complete": complete(features),
        }
    )


def predict_moving_average(features: "pd.DataFrame", threshold: float) -> "pd.DataFrame":
    numeric = list(MOVING_AVERAGE_WEIGHTS) + ["vegas_points_line", "points_std_last_10"]
    features = features.astype({column: float for column in numeric})
    return prediction_rows(features, "moving_average_v1", moving_average(features), threshold)


def predict_ml(features: "pd.DataFrame", store: ObjectStore, threshold: float):
    """(predictions, players without complete features, weeks without a model)."""
    import pandas as pd

    from nba_assets.defs.model.points_model import load_model

    usable = features[complete(features)]
    week_of = pd.to_datetime(usable["game_date"]).dt.to_period("W-SUN").dt.start_time.dt.date
    frames, missing_weeks = [], []
    for week, rows in usable.groupby(week_of):
        model = load_model(store, week)
        if model is None:
            missing_weeks.append(week.isoformat())
            continue
        predicted = pd.Series(model.predict(rows), index=rows.index)
        frames.append(prediction_rows(rows, ML_SYSTEM, predicted, threshold))
    predictions = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(COLUMN_TYPES))
    return predictions, len(features) - len(usable), missing_weeks


@asset(
    **partitioned("predictions", {"python", "pandas", "duckdb"}),
    deps=["ml_feature_store", AssetDep("points_model")],
    description="Predicted points per player, date and system with the consensus line, edge, "
    "OVER/UNDER/PASS and confidence; written to nba_predictions.player_prop_predictions.",
)
@warehouse_session
def player_prop_predictions(
    context: AssetExecutionContext, config: PredictionConfig, warehouse: Warehouse, landing: ObjectStore
) -> MaterializeResult:
    import pandas as pd

    start, end = window_bounds(context)
    features = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.ML_FEATURE_STORE)} WHERE game_date >= ? AND game_date < ?",
        [start, end],
    )
    baseline = predict_moving_average(features, config.edge_threshold)
    ml, incomplete, missing_weeks = predict_ml(features, landing, config.edge_threshold)
    predictions = pd.concat([baseline, ml], ignore_index=True)
    warehouse.replace_window(*tables.PLAYER_PROP_PREDICTIONS, predictions, COLUMN_TYPES, start, end)
    with_line = predictions[predictions["line"].notna()]
    preview = preview_metadata(with_line.sort_values("edge", key=abs, ascending=False))
    return MaterializeResult(
        metadata={
            **window_metadata(context, rows_by_date(predictions), preview),
            "moving_average_v1_rows": len(baseline),
            "ml_points_v1_rows": len(ml),
            "ml_skipped_incomplete_features": incomplete,
            "ml_weeks_without_model": MetadataValue.md(", ".join(missing_weeks) or "none"),
            "with_line": len(with_line),
            "with_line_no_prediction": int(with_line["predicted_points"].isna().sum()),
            "picks_over": int((predictions["recommendation"] == "OVER").sum()),
            "picks_under": int((predictions["recommendation"] == "UNDER").sum()),
            "edge_threshold": config.edge_threshold,
        }
    )
