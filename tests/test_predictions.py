"""The moving-average system's rules (moving_average_v1, every market) on hand-made feature rows."""

import pandas as pd
import pytest

from nba_assets.defs.predictions.market_predictions import WEIGHTS, moving_average, predict_baseline


def features(**columns):
    base = {
        "game_date": [pd.Timestamp("2025-11-02")],
        "player_lookup": ["p"],
        "player_name": ["P"],
        "team_abbr": ["AAA"],
        "opponent_abbr": ["BBB"],
        "market": ["points"],
        "stat_avg_last_5": [20.0],
        "stat_avg_last_10": [18.0],
        "stat_avg_season": [16.0],
        "consensus_line": [15.5],
        "has_line": [True],
        "n_books": [3],
        "over_odds": [-110.0],
        "under_odds": [-110.0],
    }
    base.update({k: [v] for k, v in columns.items()})
    return pd.DataFrame(base)


NO_HISTORY = pd.DataFrame(
    {"game_date": pd.Series([], dtype="datetime64[ns]"), "market": [], "predicted_value": [], "actual_value": []}
)


def test_weights_are_the_seed_systems():
    assert WEIGHTS == {"stat_avg_last_5": 0.5, "stat_avg_last_10": 0.3, "stat_avg_season": 0.2}
    assert moving_average(features()).iloc[0] == pytest.approx(0.5 * 20 + 0.3 * 18 + 0.2 * 16)


def test_missing_season_average_renormalizes_the_weights():
    assert moving_average(features(stat_avg_season=None)).iloc[0] == pytest.approx(
        round((0.5 * 20 + 0.3 * 18) / 0.8, 2)
    )


def test_no_history_means_no_prediction_and_a_pass():
    frame = features(stat_avg_last_5=None, stat_avg_last_10=None, stat_avg_season=None)
    row = predict_baseline(frame, NO_HISTORY, 0.0).iloc[0]
    assert pd.isna(row["predicted_value"]) and row["recommendation"] == "PASS"


def test_a_date_without_fitted_history_has_no_probabilities_and_no_pick():
    row = predict_baseline(features(), NO_HISTORY, 0.0).iloc[0]
    assert row["predicted_value"] == pytest.approx(18.6) and row["line"] == 15.5
    assert pd.isna(row["p_over"]) and row["recommendation"] == "PASS"


def test_no_line_means_no_row():
    assert predict_baseline(features(has_line=False, consensus_line=None), NO_HISTORY, 0.0).empty
