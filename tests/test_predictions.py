"""The moving-average system's rules on hand-made feature rows."""

import pandas as pd
import pytest

from nba_assets.defs.predictions.predictions import predict_moving_average


def features(**columns):
    base = {
        "game_date": ["2025-11-02"],
        "player_lookup": ["p"],
        "player_name": ["P"],
        "team_abbr": ["AAA"],
        "opponent_abbr": ["BBB"],
        "points_avg_last_5": [20.0],
        "points_avg_last_10": [18.0],
        "points_avg_season": [16.0],
        "points_std_last_10": [5.0],
        "vegas_points_line": [15.5],
        "minutes_avg_last_10": [30.0],
        "ppm_avg_last_10": [0.6],
        "days_rest": [2],
    }
    base.update({k: [v] for k, v in columns.items()})
    return pd.DataFrame(base)


def test_weights_are_the_seed_systems():
    row = predict_moving_average(features(), 2.0).iloc[0]
    assert row["predicted_points"] == pytest.approx(0.5 * 20 + 0.3 * 18 + 0.2 * 16)
    assert row["edge"] == pytest.approx(18.6 - 15.5)
    assert row["recommendation"] == "OVER"
    assert 0.5 < row["confidence"] < 1


def test_missing_season_average_renormalizes_the_weights():
    row = predict_moving_average(features(points_avg_season=None), 2.0).iloc[0]
    assert row["predicted_points"] == pytest.approx((0.5 * 20 + 0.3 * 18) / 0.8)


@pytest.mark.parametrize(
    "line,threshold,expected",
    [
        (16.6, 2.0, "OVER"),  # edge exactly 2.0 counts (|edge| >= threshold), float noise aside
        (16.7, 2.0, "PASS"),
        (16.5, 2.0, "OVER"),
        (20.6, 2.0, "UNDER"),
        (20.5, 2.0, "PASS"),
        (17.5, 1.0, "OVER"),
    ],
)
def test_recommendation_uses_the_threshold(line, threshold, expected):
    row = predict_moving_average(features(vegas_points_line=line), threshold).iloc[0]
    assert row["recommendation"] == expected


def test_no_history_means_no_prediction_and_a_pass():
    row = predict_moving_average(
        features(points_avg_last_5=None, points_avg_last_10=None, points_avg_season=None), 2.0
    ).iloc[0]
    assert pd.isna(row["predicted_points"]) and row["recommendation"] == "PASS"


def test_no_line_means_pass():
    row = predict_moving_average(features(vegas_points_line=None), 2.0).iloc[0]
    assert row["recommendation"] == "PASS" and pd.isna(row["edge"])
