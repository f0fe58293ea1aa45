"""The published record (grading/published_record.py): picks graded at their own line and side,
profit at their stakes and prices, the running record, intervals that resample dates."""

import pandas as pd
import pytest

from nba_assets.defs.grading import published_record as record
from nba_assets.defs.grading.market_backtest import pick_arrays, pick_stats
from nba_assets.lib import export_schemas as schemas


def stats(frame):
    return pick_stats(pick_arrays(frame))


def picks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_date": pd.to_datetime(
                ["2025-11-01", "2025-11-01", "2025-11-02", "2025-11-02", "2025-11-03", "2025-11-03"]
            ),
            "system_id": "ml_market_v1",
            "market": ["threes", "threes", "assists", "threes", "assists", "threes"],
            "player_lookup": list("abcdef"),
            "recommendation": ["OVER", "UNDER", "OVER", "OVER", "UNDER", "OVER"],
            # a: over 1.5 taken at a better line than the consensus 2.5, 2 made: WIN (a LOSS at 2.5)
            "line": [1.5, 2.5, 6.0, 2.5, 5.5, 0.5],
            "book": ["fanduel", "betmgm", "draftkings", "fanduel", "bovada", "betmgm"],
            "price": [100.0, -110.0, 120.0, -105.0, -110.0, -200.0],
            "stake": [0.02, 0.01, 0.01, 0.015, 0.01, 0.02],
            "ev": [0.05] * 6,
            "consensus_line": [2.5, 2.5, 6.0, 2.5, 5.5, 0.5],
            "consensus_price": [-110.0, -110.0, 110.0, -110.0, -110.0, -210.0],
            "actual_value": [2.0, 3.0, 6.0, 4.0, None, None],
            "player_outcome": ["PLAYED", "PLAYED", "PLAYED", "PLAYED", "DNP", "NO_BOX_SCORE"],
        }
    )


def test_picks_are_graded_at_their_own_line_and_side_with_profit_at_their_stake():
    graded = record.with_results(picks())
    assert graded["result"].tolist() == ["WIN", "LOSS", "PUSH", "WIN", "VOID", "PENDING"]
    assert graded["profit"].tolist() == pytest.approx([0.02, -0.01, 0.0, 0.015 * 100 / 105, 0.0, 0.0], abs=1e-6)
    # beside it, the same sides at the consensus line and price: a's over 2.5 lost
    assert graded["consensus_result"].tolist() == ["LOSS", "LOSS", "PUSH", "WIN", "VOID", "PENDING"]


def test_the_record_has_running_hit_rate_roi_and_date_clustered_intervals():
    result = record.report(record.with_results(picks()), stats)
    overall = result["overall"]
    assert (overall["bets"], overall["wins"], overall["losses"], overall["pushes"]) == (6, 2, 1, 1)
    assert (overall["voids"], overall["pending"]) == (1, 1)
    assert overall["hit_rate"] == pytest.approx(2 / 3)
    assert overall["roi"] == pytest.approx((1.0 + 100 / 105 - 1) / 4)  # per unit, pushes in the denominator
    assert overall["staked"] == pytest.approx(0.02 + 0.01 + 0.01 + 0.015)
    assert overall["roi_at_consensus"] == pytest.approx((-1 - 1 + 0 + 100 / 110) / 4, abs=1e-6)
    low, high = overall["hit_rate_interval"]
    assert 0 <= low <= overall["hit_rate"] <= high <= 1
    assert [d["game_date"] for d in result["running"]] == ["2025-11-01", "2025-11-02", "2025-11-03"]
    assert [d["hit_rate"] for d in result["running"]] == [
        0.5,
        pytest.approx(2 / 3, abs=1e-4),
        pytest.approx(2 / 3, abs=1e-4),
    ]
    assert [(e["market"], e["bets"]) for e in result["by_market"]] == [("assists", 2), ("threes", 4)]
    assert result["picks"][0]["book"] == "fanduel" and result["picks"][0]["result"] == "WIN"
    schemas.PublishedRecord.model_validate(result)  # what performance.json carries
    assert "| all |" in record.markdown(result)


def test_no_pick_published_is_an_empty_record():
    empty = record.with_results(pd.DataFrame(columns=record.PICK_COLUMNS))
    result = record.report(empty, stats)
    assert result["overall"]["bets"] == 0 and result["overall"]["hit_rate"] is None and result["picks"] == []
    schemas.PublishedRecord.model_validate(result)
