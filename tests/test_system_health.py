"""The system-health gate: a planted bad system is held back, a good one published, an unproven
one held back; records use only the dates before the day."""

import numpy as np
import pandas as pd

from nba_assets.defs.predictions import system_health as health
from nba_assets.defs.predictions.best_bets import select_best_bets


def graded_history(
    system_id: str, market: str, hit_rate: float, p_over: float, days: int = 25, per_day: int = 12, seed: int = 0
) -> pd.DataFrame:
    """Graded rows of a system: every row a pick at -110 that wins with `hit_rate`; the system
    says P(over) = p_over, the market 0.5; the over/under outcome follows the pick's result."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    win = rng.random(n) < hit_rate
    side = np.where(np.arange(n) % 2 == 0, "OVER", "UNDER")
    went_over = np.where(side == "OVER", win, ~win)
    p = np.where(side == "OVER", p_over, 1 - p_over)
    return pd.DataFrame(
        {
            "game_date": np.repeat(pd.date_range("2025-10-01", periods=days, freq="D"), per_day),
            "system_id": system_id,
            "market": market,
            "p_over": p,
            "p_under": 1 - p,
            "p_push": 0.0,
            "market_p_over": 0.5,
            "line_outcome": np.where(went_over, "OVER", "UNDER"),
            "result": np.where(win, "WIN", "LOSS"),
            "price": -110.0,
            "recommendation": side,
        }
    )


def test_a_planted_bad_system_is_held_back_and_a_good_one_published():
    history = pd.concat(
        [
            graded_history("good_v1", "rebounds", 0.60, 0.62, seed=1),
            graded_history("bad_v1", "rebounds", 0.40, 0.62, seed=2),
            graded_history("new_v1", "rebounds", 0.70, 0.62, days=5, seed=3),
        ]
    )
    day = pd.Timestamp("2025-10-26")
    gate = health.gate(
        history, [day], [("good_v1", "rebounds"), ("bad_v1", "rebounds"), ("new_v1", "rebounds")]
    ).set_index("system_id")
    assert gate.loc["good_v1", "status"] == "healthy" and gate.loc["good_v1", "publish"]
    assert gate.loc["good_v1", "dates"] == health.WINDOW_DATES
    assert gate.loc["good_v1", "scored_rows"] == health.WINDOW_DATES * 12
    assert gate.loc["bad_v1", "status"] == "below_break_even" and not gate.loc["bad_v1", "publish"]
    assert "below break-even" in gate.loc["bad_v1", "reason"]
    assert gate.loc["new_v1", "status"] == "insufficient" and not gate.loc["new_v1", "publish"]
    # Picks of the day: the bad system's (higher EV) are not published.
    candidates = pd.DataFrame(
        {
            "game_date": day.date(),
            "player_lookup": ["a", "b"],
            "player_name": ["A", "B"],
            "team_abbr": ["AAA", "CCC"],
            "opponent_abbr": ["BBB", "DDD"],
            "system_id": ["bad_v1", "good_v1"],
            "market": "rebounds",
            "recommendation": "OVER",
            "line": 6.5,
            "predicted_value": 8.0,
            "p_over": 0.62,
            "p_under": 0.38,
            "p_push": 0.0,
            "price": -110.0,
            "ev": [0.4, 0.1],
            "stake": 0.02,
        }
    )
    chosen = select_best_bets(candidates, gate.reset_index())
    assert chosen["system_id"].tolist() == ["good_v1"]


def test_the_record_of_a_day_uses_only_earlier_dates():
    history = graded_history("s", "threes", 0.60, 0.62, days=30, seed=4)
    day = pd.Timestamp("2025-10-20")
    before = health.gate(history[history["game_date"] < day], [day], [("s", "threes")])
    # the day itself and later dates all lost: nothing changes for the day
    later = history["game_date"] >= day
    spoiled = history.assign(result=np.where(later, "LOSS", history["result"]))
    pd.testing.assert_frame_equal(before, health.gate(spoiled, [day], [("s", "threes")]))


def test_a_system_losing_to_the_market_probabilities_is_degrading_and_held_back():
    # hit rate fine, but it says 0.95 where the truth is ~0.6: the market's 0.5 scores better
    history = graded_history("overconfident", "points", 0.60, 0.95, seed=5)
    gate = health.gate(history, [pd.Timestamp("2025-10-26")], [("overconfident", "points")]).iloc[0]
    assert gate["brier_skill"] < 0 and gate["hit_rate"] > gate["break_even"]
    assert gate["status"] == "degrading" and not gate["publish"]
