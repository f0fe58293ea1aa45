"""Best real price (nba_assets/lib/pricing.py): the best book at the consensus line, a better
line priced with the system's distribution, suspect quotes refused and counted."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from nba_assets.lib import gate, pricing
from nba_assets.lib import probability as prob

DAY = dt.date(2025, 11, 4)


def quotes(rows) -> pd.DataFrame:
    """Quotes (book, line, over, under) of one player's threes; books_at_line as the model counts."""
    frame = pd.DataFrame(rows, columns=["bookmaker", "line", "over_odds", "under_odds"]).assign(
        game_date=DAY, player_lookup="p", market="threes"
    )
    frame["books_at_line"] = frame.groupby("line")["bookmaker"].transform("size")
    return frame


def prediction(**overrides) -> pd.DataFrame:
    row = {
        "game_date": DAY,
        "player_lookup": "p",
        "market": "threes",
        "system_id": "s",
        "predicted_value": 2.6,
        "line": 2.5,
        "over_odds": -105.0,
        "under_odds": -115.0,
        "p_over": 0.58,
        "p_under": 0.42,
        "p_push": 0.0,
        "market_p_over": 0.49,
        "distribution": "negative_binomial",
        "dispersion": 12.0,
    }
    return pd.DataFrame([{**row, **overrides}])


BOOKS = [
    ("draftkings", 2.5, -110.0, -110.0),
    ("fanduel", 2.5, 105.0, -135.0),  # the best OVER price at the consensus line
    ("betmgm", 2.5, -115.0, -105.0),
    ("bovada", 2.5, 190.0, -250.0),  # suspect: far from the others' (a stale price)
]


def test_the_best_book_at_the_consensus_line_is_taken_and_a_suspect_quote_never():
    flagged = pricing.flag_suspect(quotes(BOOKS))
    assert flagged.set_index("bookmaker")["suspect_reason"].to_dict() == {
        "draftkings": None,
        "fanduel": None,
        "betmgm": None,
        "bovada": "far_from_books",
    }
    best = pricing.best_prices(pricing.sides(prediction()), flagged).set_index("recommendation")
    over = best.loc["OVER"]
    assert over["book"] == "fanduel" and over["price"] == 105.0 and over["line"] == 2.5
    # EV at the shrunk probability: halfway between 0.58 and the books' median de-vigged P(over)
    median = float(np.median(prob.devig_over([-110.0, 105.0, -115.0, 190.0], [-110.0, -135.0, -105.0, -250.0])))
    shrunk = 0.58 + gate.SHRINK * (median - 0.58)
    assert over["ev"] == pytest.approx(shrunk * 2.05 - 1, abs=1e-4)
    assert over["consensus_ev"] == pytest.approx(
        float(prob.expected_value(0.58 + gate.SHRINK * (0.49 - 0.58), 0, -105.0)), abs=1e-4
    )
    assert over["model_ev"] == pytest.approx(0.58 * 2.05 - 1, abs=1e-4)
    # the under's best price is betmgm's -105, never bovada's stale -250 nor anything else
    assert best.loc["UNDER", "book"] == "betmgm" and best.loc["UNDER", "price"] == -105.0


def test_a_line_no_second_book_quotes_is_suspect_and_counted_per_book_and_date():
    flagged = pricing.flag_suspect(quotes([*BOOKS, ("betrivers", 1.5, -150.0, 120.0)]))
    lone = flagged.set_index("bookmaker").loc["betrivers"]
    assert lone["suspect"] and lone["suspect_reason"] == "single_book"
    best = pricing.best_prices(pricing.sides(prediction()), flagged)
    assert "betrivers" not in set(best["book"])
    counts = pricing.suspect_counts(flagged).set_index("bookmaker")
    assert counts.loc["betrivers", ["quotes", "single_book", "far_from_books"]].tolist() == [1, 1, 0]
    assert counts.loc["bovada", ["quotes", "single_book", "far_from_books"]].tolist() == [1, 0, 1]
    assert counts.loc["draftkings", ["single_book", "far_from_books"]].sum() == 0


def test_a_better_line_is_priced_with_the_systems_distribution():
    # two books post 1.5 (an OVER there is easier than at the 2.5 consensus) at about even money
    alternate = [*BOOKS, ("draftkings", 1.5, -105.0, -125.0), ("fanduel", 1.5, 100.0, -130.0)]
    best = pricing.best_prices(pricing.sides(prediction()), pricing.flag_suspect(quotes(alternate)))
    over = best.set_index("recommendation").loc["OVER"]
    p_over, _, _ = prob.negative_binomial_probabilities(2.6, 1.5, 12.0)
    market = float(np.median(prob.devig_over([-105.0, 100.0], [-125.0, -130.0])))
    shrunk = float(p_over) + gate.SHRINK * (market - float(p_over))
    ev_alt = float(prob.expected_value(shrunk, 0.0, 100.0))
    assert over["line"] == 1.5 and over["book"] == "fanduel" and over["consensus_line"] == 2.5
    assert over["p_over"] == pytest.approx(float(p_over), abs=1e-4) and over["ev"] == pytest.approx(ev_alt, abs=1e-4)
    assert over["ev"] > over["consensus_ev"]
    # the under is not offered a LOWER line (worse for it), and points-like rows no other line
    assert best.set_index("recommendation").loc["UNDER", "line"] == 2.5
    residual = pricing.best_prices(
        pricing.sides(prediction(distribution="residual", dispersion=1.0)), pricing.flag_suspect(quotes(alternate))
    )
    assert set(residual["line"]) == {2.5}
