"""The ML model's features: one list, shared by training (points_model) and prediction."""

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

# Columns of ml_feature_store the model reads (all computed from games before the date).
FEATURES = [
    "points_avg_last_5",
    "points_avg_last_10",
    "points_avg_season",
    "points_std_last_10",
    "minutes_avg_last_10",
    "ppm_avg_last_10",
    "games_in_last_7_days",
    "games_played_season",
    "days_rest",
    "back_to_back",
    "is_home",
    "opponent_def_rating",
    "vegas_points_line",
]

# Without these a player has no usable history: no ML prediction for him (counted, not guessed).
REQUIRED = ["points_avg_last_5", "points_avg_last_10", "minutes_avg_last_10", "ppm_avg_last_10", "days_rest"]


def model_matrix(features: "pd.DataFrame") -> "pd.DataFrame":
    """The model's input columns, numeric; missing values stay NaN (the model handles them)."""
    frame = features.assign(is_home=(features["home_away"] == "HOME").astype(float))
    return frame[FEATURES].astype(float)


def complete(features: "pd.DataFrame") -> "pd.Series":
    return features[REQUIRED].notna().all(axis=1)
