"""The gate on planted records (nba_assets/lib/gate.py through system_health.gate): published only
when the Brier skill's date-clustered interval is above 0 over a full window; held back at one date
or one row short; WARN when worse than the market; only dates before the day count; picks ranked
and staked at the shrunk probability."""

import numpy as np
import pandas as pd
import pytest
from dagster import AssetCheckSeverity

from nba_assets.defs.predictions import system_health as health
from nba_assets.defs.predictions.best_bets import health_results, select_best_bets
from nba_assets.lib import gate as rule
from nba_assets.lib import pricing
from nba_assets.lib import probability as prob

W = rule.WINDOW_DATES
PER_DAY = -(-rule.MIN_ROWS // W)  # rows a date so that a full window just reaches MIN_ROWS


def graded_history(
    system_id: str, market: str, shift: float, days: int = W + 2, per_day: int = PER_DAY, seed: int = 0
) -> pd.DataFrame:
    """Graded rows of a system: the market says P(over) = 0.5 and the outcome is a fair coin; the
    system says 0.5 moved `shift` toward the outcome (away from it when negative), plus noise.
    Every row is a pick at -110 of the side the system favours."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    went_over = rng.random(n) < 0.5
    p = np.clip(0.5 + shift * (went_over - 0.5) + rng.normal(0, 0.05, n), 0.01, 0.99)
    side = np.where(p >= 0.5, "OVER", "UNDER")
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
            "result": np.where((side == "OVER") == went_over, "WIN", "LOSS"),
            "price": -110.0,
            "recommendation": side,
        }
    )


def day_after(history: pd.DataFrame) -> pd.Timestamp:
    return history["game_date"].max() + pd.Timedelta(days=1)


def gate_of(history: pd.DataFrame, day=None) -> pd.DataFrame:
    pairs = sorted(set(zip(history["system_id"], history["market"])))
    return health.gate(history, [day or day_after(history)], pairs).set_index("system_id")


def test_a_system_beyond_the_market_is_published_and_one_worse_is_held_back_with_a_warning():
    history = pd.concat(
        [
            graded_history("ml_market_v1", "rebounds", 0.4, seed=1),
            graded_history("moving_average_v1", "rebounds", -0.4, seed=2),
        ]
    )
    gate = gate_of(history)
    good, bad = gate.loc["ml_market_v1"], gate.loc["moving_average_v1"]
    assert good["status"] == "beyond_market" and good["publish"] and good["skill_low"] > 0
    assert good["dates"] == W and good["scored_rows"] == W * PER_DAY  # its last W dates, not all W + 2
    assert bad["status"] == "worse_than_market" and not bad["publish"] and bad["skill_high"] < 0
    assert "worse than the market" in bad["reason"]
    checks = {r.check_name: r for r in health_results(gate.reset_index().assign(candidates=0))}
    assert checks["health_ml_market_v1_rebounds"].passed
    warned = checks["health_moving_average_v1_rebounds"]
    assert not warned.passed and warned.severity == AssetCheckSeverity.WARN
    assert warned.metadata["skill_high"].value < 0
    assert checks["health_ml_market_v1_points"].passed  # no record in points: nothing to warn about


def test_the_interval_is_the_date_clustered_bootstrap_of_the_window():
    history = graded_history("s", "points", 0.1, seed=3)
    row = gate_of(history).loc["s"]
    window = health.scored(history[history["game_date"] >= history["game_date"].unique()[-W]])
    low, high = prob.clustered_bootstrap(
        window,
        "game_date",
        ["se_system", "se_market"],
        lambda s: 1 - s["se_system"] / s["se_market"],
        replicates=rule.REPLICATES,
        level=rule.CONFIDENCE,
        seed=rule.SEED,
    )
    assert row["skill_low"] == pytest.approx(low, abs=1e-6) and row["skill_high"] == pytest.approx(high, abs=1e-6)
    assert row["publish"] == (low > 0)


def test_a_record_one_date_or_one_row_short_of_the_minimum_is_held_back():
    full = graded_history("full", "assists", 0.5, days=W, seed=4)
    short = graded_history("short", "assists", 0.5, days=W - 1, seed=4).assign(system_id="short")
    thin = graded_history("thin", "assists", 0.5, days=W, seed=4)
    thin = thin.drop(index=thin.index[-(W * PER_DAY - rule.MIN_ROWS + 1) :])  # MIN_ROWS - 1 rows
    gate = health.gate(
        pd.concat([full, short, thin]), [day_after(full)], [(s, "assists") for s in ("full", "short", "thin")]
    )
    gate = gate.set_index("system_id")
    assert gate.loc["full", "status"] == "beyond_market" and gate.loc["full", "scored_rows"] >= rule.MIN_ROWS
    assert gate.loc["short", "status"] == "insufficient" and gate.loc["short", "dates"] == W - 1
    assert gate.loc["thin", "scored_rows"] == rule.MIN_ROWS - 1
    assert gate.loc["thin", "status"] == "insufficient" and not gate.loc["thin", "publish"]
    assert "fewer than" in gate.loc["thin", "reason"]


def test_the_record_of_a_day_uses_only_earlier_dates():
    history = graded_history("s", "threes", 0.3, days=W + 10, seed=5)
    day = history["game_date"].unique()[W + 3]
    before = health.gate(history[history["game_date"] < day], [day], [("s", "threes")])
    # the day itself and later dates all went against the system: nothing changes for the day
    later = history["game_date"] >= day
    spoiled = history.assign(
        line_outcome=np.where(later, np.where(history["p_over"] >= 0.5, "UNDER", "OVER"), history["line_outcome"])
    )
    pd.testing.assert_frame_equal(before, health.gate(spoiled, [day], [("s", "threes")]))
    assert before["publish"].iloc[0]


def test_picks_are_ranked_and_staked_at_the_probability_shrunk_toward_the_market():
    day = pd.Timestamp("2025-11-01").date()
    candidates = pd.DataFrame(
        {
            "game_date": day,
            "player_lookup": ["a", "b", "c"],
            "player_name": ["A", "B", "C"],
            "team_abbr": ["AAA", "CCC", "EEE"],
            "opponent_abbr": ["BBB", "DDD", "FFF"],
            "system_id": "s",
            "market": "rebounds",
            "recommendation": "OVER",
            "line": 6.5,
            "predicted_value": 8.0,
            # a: 0.60 vs the market's 0.50 -> 0.55; b: 0.54 -> 0.52 (EV < 0 at -110); c: 0.70 -> 0.60
            "p_over": [0.60, 0.54, 0.70],
            "p_under": [0.40, 0.46, 0.30],
            "p_push": 0.0,
            "market_p_over": 0.5,
            "price": -110.0,
            "ev": [0.145, 0.031, 0.336],
            "stake": 0.02,
        }
    )
    gate = pd.DataFrame({"game_date": [day], "system_id": ["s"], "market": ["rebounds"], "publish": [True]})
    chosen = select_best_bets(pricing.priced(candidates), gate)
    assert chosen["player_lookup"].tolist() == ["c", "a"]  # b's edge does not survive the shrink
    decimal = float(prob.american_to_decimal(-110.0))
    assert chosen["ev"].tolist() == [round(0.60 * decimal - 1, 4), round(0.55 * decimal - 1, 4)]
    assert chosen["stake"].iloc[1] == pytest.approx(float(prob.kelly_stake(0.55, 0.0, -110.0)), abs=1e-6)
    held = select_best_bets(pricing.priced(candidates), gate.assign(publish=False))
    assert held.empty
