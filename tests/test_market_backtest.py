"""The per-market backtest against the market on generated rows with known answers."""

import numpy as np
import pandas as pd
import pytest

from nba_assets.defs.grading import backtest_plots as plots
from nba_assets.defs.grading import market_backtest as mb


def rows(n_dates=60, per_date=40, seed=0, first="2025-10-21", system_noise=0.0, market_noise=0.25):
    """Each row's true P(over) is known; the market and the system see it through noise on the
    logit scale; outcomes are drawn from the truth. Every row is priced -110 both ways."""
    rng = np.random.default_rng(seed)
    n = n_dates * per_date
    truth_logit = rng.normal(0, 0.6, n)
    truth = 1 / (1 + np.exp(-truth_logit))
    went_over = rng.random(n) < truth
    market = 1 / (1 + np.exp(-(truth_logit + rng.normal(0, market_noise, n))))
    system = 1 / (1 + np.exp(-(truth_logit + rng.normal(0, system_noise, n)))) if system_noise else truth
    ev_over = system * (100 / 110) - (1 - system)
    ev_under = (1 - system) * (100 / 110) - system
    side = np.where(ev_over >= ev_under, "OVER", "UNDER")
    ev = np.maximum(ev_over, ev_under)
    pick = ev > 0
    won = np.where(side == "OVER", went_over, ~went_over)
    return pd.DataFrame(
        {
            "game_date": np.repeat(pd.date_range(first, periods=n_dates, freq="D"), per_date).as_unit("ns"),
            "player_lookup": [f"p{i}" for i in range(n)],
            "system_id": "s",
            "market": "threes",
            "predicted_value": 2.0,
            "line": 1.5,
            "actual_value": np.where(went_over, 3.0, 1.0),
            "p_over": system,
            "p_under": 1 - system,
            "p_push": 0.0,
            "market_p_over": market,
            "line_outcome": np.where(went_over, "OVER", "UNDER"),
            "recommendation": np.where(pick, side, "PASS"),
            "price": np.where(pick, -110.0, np.nan),
            "ev": ev,
            "stake": 0.01,
            "result": np.where(pick, np.where(won, "WIN", "LOSS"), "PASS"),
            "over_odds": -110.0,
            "under_odds": -110.0,
        }
    )


def test_a_system_that_knows_the_truth_beats_a_noisy_market():
    result = mb.report(rows())
    entry = result["entries"][0]
    assert entry["brier_skill"] > 0
    assert entry["brier_skill_interval"][0] > 0  # the whole interval: it really is better
    assert entry["calibration_slope"] == pytest.approx(1.0, abs=0.15)
    assert entry["market_calibration_slope"] < entry["calibration_slope"]
    assert entry["picks"]["hit_rate"] > 0.55
    assert sum(b["bets"] for b in entry["ev_buckets"]) == entry["picks"]["bets"]
    assert entry["mae"] == pytest.approx(np.mean(np.abs(2.0 - rows()["actual_value"])))


def test_a_noisier_system_than_the_market_has_negative_skill_and_is_overconfident():
    entry = mb.report(rows(system_noise=0.8, market_noise=0.1))["entries"][0]
    assert entry["brier_skill_interval"][1] < 0
    assert entry["calibration_slope"] < 0.8


def test_seasons_are_reported_on_their_own():
    both = pd.concat([rows(first="2025-01-10", seed=1), rows(first="2025-10-21", seed=2)])
    segments = {e["segment"]: e for e in mb.report(both)["entries"]}
    assert set(segments) == {"all", "2024-25", "2025-26"}
    assert segments["2024-25"]["scored_rows"] + segments["2025-26"]["scored_rows"] == segments["all"]["scored_rows"]
    assert segments["2024-25"]["last_date"] < "2025-07-01" <= segments["2025-26"]["first_date"]


def test_systems_of_a_market_are_compared_on_the_same_rows():
    one = rows(seed=3)
    other = one.assign(system_id="t").iloc[::2]  # predicted only every other row
    entries = mb.report(pd.concat([one, other]))["entries"]
    assert {e["scored_rows"] for e in entries} == {len(other)}
    images = plots.reliability_plots(pd.concat([one, other]))
    assert set(images) == {"reliability_threes.png"} and images["reliability_threes.png"][:4] == b"\x89PNG"


def test_each_market_diagram_is_drawn_as_if_alone():
    """One figure serves every market (its curves removed after each): a market's PNG is the same
    bytes as when it is the only market, and markets with different rows get different PNGs."""
    threes = rows(seed=4)
    blocks = rows(seed=5, system_noise=0.8).assign(market="blocks")
    together = plots.reliability_plots(pd.concat([blocks, threes]))
    assert set(together) == {"reliability_blocks.png", "reliability_threes.png"}
    assert together["reliability_threes.png"] == plots.reliability_plots(threes)["reliability_threes.png"]
    assert together["reliability_blocks.png"] == plots.reliability_plots(blocks)["reliability_blocks.png"]
    assert together["reliability_blocks.png"] != together["reliability_threes.png"]
