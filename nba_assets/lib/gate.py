"""The gate: when a system's picks in a market earn publication. One rule, its constants here
(docs/gate.md: the rule, the simulation that chose the window and measured its error rates).

Rule: on a date, (system, market) is published when, over its last WINDOW_DATES graded dates
strictly before the date (dates where it had scored rows), with at least MIN_ROWS scored rows, the
lower bound of the CONFIDENCE date-clustered bootstrap interval of its Brier skill against the
de-vigged market (1 - Brier(system) / Brier(market), on P(over | no push)) is above 0.

- Date-clustered: the players of one night share a slate, referees, pace and a line-setting day;
  rows of a date are not independent, whole dates are resampled (probability.resample_weights).
- The interval is two-sided at CONFIDENCE, its lower bound a one-sided test at (1 + CONFIDENCE)/2:
  a system exactly as good as the market is published with probability about (1 - CONFIDENCE)/2
  by construction; the simulation (benchmarks/gate_simulation.py, tests/test_gate_simulation.py)
  measures it on the archive's real rows instead of trusting the construction.
- Statuses: `insufficient` (fewer than WINDOW_DATES graded dates or MIN_ROWS rows: held back, not
  a fault), `at_market` (interval reaches 0: held back), `worse_than_market` (the whole interval
  below 0: held back, the health check WARNs), `beyond_market` (published).

Picks of a published system are ranked by their EV at the SHRUNK probability: the system's
P(over | no push) moved SHRINK of the way back to the de-vigged market's. A system's departure
from the market is part signal, part noise; a record that barely clears the gate does not make
every departure real, so the EV a pick is ranked and staked by counts half of it.
"""

from typing import TYPE_CHECKING

from nba_assets.lib import probability as prob

if TYPE_CHECKING:
    import numpy as np

# Chosen by the simulation (docs/gate.md, "Choosing the window"): the shortest window at which a
# system moved INFORMED_SHIFT toward the outcome (Brier skill about +0.02) is published on >= 80%
# of its records in every market (steals, ~42 lines a date, is the last to get there), and at
# which the bootstrap's interval holds its level (at 5-10 dates a system exactly as good as the
# market is published on 5-10% of records: too few clusters for a percentile interval).
WINDOW_DATES = 25
CONFIDENCE = 0.95
MIN_ROWS = 300
REPLICATES = 1000
SEED = 13
SHRINK = 0.5
# The edge the window is chosen for (docs/gate.md): P(over) moved this share of the way toward the
# realized outcome, under the same noise as the null (benchmarks/gate_simulation.NOISE).
INFORMED_SHIFT = 0.015

# Prediction coverage (predictions/coverage.py): players with a line and history that got
# probabilities; below WARN the check warns, below BLOCK the date's best bets of the market are
# not published (a slate priced for a few players is a broken run, not a selection).
COVERAGE_WARN = 0.95
COVERAGE_BLOCK = 0.80

PUBLISHED = "beyond_market"
STATUSES = ("insufficient", "at_market", "worse_than_market", PUBLISHED)


def squared_errors(p, went_over) -> "np.ndarray":
    """Per row (p - outcome)^2, p kept off 0 and 1 as every score is (probability.PROBABILITY_FLOOR)."""
    import numpy as np

    clipped = np.clip(np.asarray(p, dtype=float), prob.PROBABILITY_FLOOR, 1 - prob.PROBABILITY_FLOOR)
    return (clipped - np.asarray(went_over, dtype=float)) ** 2


def skill_intervals(se_system, se_market) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """(skill, low, high) of records given as per-date sums of squared errors, shape (records,
    dates) each (every record the same number of dates): the point Brier skill and the CONFIDENCE
    percentile interval of the bootstrap that resamples whole dates. Vectorized over records: the
    gate and its simulation are the same call."""
    import numpy as np

    se_system, se_market = np.atleast_2d(np.asarray(se_system, float)), np.atleast_2d(np.asarray(se_market, float))
    weights = prob.resample_weights(se_system.shape[1], REPLICATES, SEED).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = 1 - se_system.sum(axis=1) / se_market.sum(axis=1)
        boot = 1 - (se_system @ weights.T) / (se_market @ weights.T)
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(boot, [tail, 100 - tail], axis=1)
    return skill, low, high


def status(dates: int, rows: int, low: float, high: float, window: int = WINDOW_DATES) -> str:
    """The gate's status of one record (its number of graded dates, scored rows, skill interval);
    `window` other than WINDOW_DATES only in the simulation that chose it."""
    if dates < window or rows < MIN_ROWS:
        return "insufficient"
    if low > 0:
        return PUBLISHED
    if high < 0:
        return "worse_than_market"
    return "at_market"


def statuses(dates, rows, low, high, window: int = WINDOW_DATES) -> "np.ndarray":
    """`status` of many records at once (the simulation's)."""
    import numpy as np

    dates, rows = np.asarray(dates), np.asarray(rows)
    low, high = np.asarray(low, float), np.asarray(high, float)
    out = np.where(low > 0, PUBLISHED, np.where(high < 0, "worse_than_market", "at_market"))
    return np.where((dates < window) | (rows < MIN_ROWS), "insufficient", out).astype(object)


def reason(state: str, dates: int, rows: int, skill, low, high) -> str:
    """Why: the record and its interval in words (the export and the checks say it)."""
    record = f"{rows} scored rows over {dates} graded dates"
    if state == "insufficient":
        return f"record of {record}: fewer than {WINDOW_DATES} dates or {MIN_ROWS} rows"
    interval = (
        f"Brier skill vs the de-vigged market {skill:+.4f} ({100 * CONFIDENCE:.0f}% date-clustered "
        f"interval {low:+.4f} to {high:+.4f}) on {record}"
    )
    verdict = {
        PUBLISHED: "beyond the market",
        "at_market": "not beyond the market (the interval reaches 0)",
        "worse_than_market": "worse than the market",
    }[state]
    return f"{interval}: {verdict}"


def shrunk_over(p_over, p_under, market_p_over) -> "tuple[np.ndarray, np.ndarray]":
    """(P(over), P(under)) the EV of a pick is ranked and staked by: the system's P(over | no push)
    moved SHRINK of the way back to the de-vigged market's, P(push) kept. Where the market has no
    probability the system's own is kept (no pick is then priced anyway)."""
    import numpy as np

    p_over, p_under = np.asarray(p_over, float), np.asarray(p_under, float)
    market = np.asarray(market_p_over, float)
    no_push = p_over + p_under
    with np.errstate(divide="ignore", invalid="ignore"):
        conditional = p_over / no_push
    shrunk = np.where(np.isnan(market), conditional, conditional + SHRINK * (market - conditional))
    return shrunk * no_push, (1 - shrunk) * no_push
