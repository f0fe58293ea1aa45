"""Probabilities of a prop line, prices, stakes and the scores that judge them.

- Predictive distributions: a system's mean for a player becomes P(over), P(under) and P(push) of
  the line (push only on whole lines; the three sum to 1). Counting stats (rebounds, assists,
  threes, steals, blocks): negative binomial with a dispersion fitted on earlier games (Poisson
  when the earlier games show no over-dispersion). Points and PRA: the empirical distribution of
  earlier residuals scaled by sqrt(mean) (`residual_probabilities`). Why: README, "Markets".
- Prices: American odds to decimal, implied probabilities, the de-vigged (fair) P(over) of a
  two-way market, expected value at a price, a fractional-Kelly stake.
- Scores: Brier, log loss, skill against the market, calibration slope and intercept, reliability
  bins, Wilson intervals, and a bootstrap clustered by date (players of one night share a slate,
  referees, pace and a line-setting day: rows of a date are not independent).

Scores are on P(over | not a push): the books refund pushes, and their prices are quoted on that
conditional too, so the system and the de-vigged market are compared on the same event.
"""

import functools
import math
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Quarter Kelly, never more than 2% of the bankroll on one pick.
KELLY_FRACTION = 0.25
MAX_STAKE = 0.02
# Probabilities are kept off 0 and 1: one impossible-looking outcome would make log loss infinite
# and an EV from an extreme tail is a model artefact, not an edge.
PROBABILITY_FLOOR = 0.005


def american_to_decimal(odds) -> "np.ndarray":
    """Payout per unit staked, stake included (-110 -> 1.909, +150 -> 2.5); NaN when missing or 0."""
    import numpy as np

    odds = np.asarray(odds, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        decimal = np.where(odds > 0, 1 + odds / 100.0, 1 + 100.0 / -odds)
    return np.where(np.isnan(odds) | (odds == 0), np.nan, decimal)


def implied_probability(odds) -> "np.ndarray":
    """The book's probability including its margin (-110 -> 0.5238)."""
    return 1.0 / american_to_decimal(odds)


def devig_over(over_odds, under_odds) -> "np.ndarray":
    """The market's fair P(over | not a push): the two implied probabilities scaled to sum to 1
    (multiplicative de-vig). NaN when either price is missing."""
    over, under = implied_probability(over_odds), implied_probability(under_odds)
    return over / (over + under)


def _line_arrays(mean, line):
    import numpy as np

    mean = np.asarray(mean, dtype=float)
    line = np.asarray(line, dtype=float)
    whole = np.isclose(line, np.round(line))
    return mean, line, whole


def _assemble(p_over, p_under, whole):
    """(p_over, p_under, p_push) summing to 1: no push on half lines."""
    import numpy as np

    p_over = np.clip(p_over, 0.0, 1.0)
    p_under = np.where(whole, np.clip(p_under, 0.0, 1.0), 1.0 - p_over)
    p_push = np.where(whole, np.clip(1.0 - p_over - p_under, 0.0, 1.0), 0.0)
    total = p_over + p_under + p_push
    return p_over / total, p_under / total, p_push / total


def negative_binomial_probabilities(mean, line, size) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """P(over), P(under), P(push) of `line` for a count with this mean and negative-binomial
    size r (variance = mean + mean^2 / r); size = inf is Poisson."""
    import numpy as np

    mean, line, whole = _line_arrays(mean, line)
    mean = np.maximum(mean, 1e-6)
    above = np.floor(line)  # over: Y >= floor(line) + 1
    below = np.ceil(line) - 1  # under: Y <= ceil(line) - 1
    return _assemble(count_sf(above, mean, size), count_cdf(below, mean, size), whole)


# The negative binomial's and Poisson's CDF and survival function from scipy.special's regularized
# incomplete beta and gamma functions, the identities scipy.stats' distributions are defined by:
# scipy.stats imports ~0.4 s of modules (a tenth of a one-date replay's budget) for two lines.
# tests/test_probability.py checks them against scipy.stats.


def _counts(k, mean) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """(k rounded down, k clipped at 0 for the special functions, mean), broadcast together."""
    import numpy as np

    k, mean = np.broadcast_arrays(np.floor(np.asarray(k, dtype=float)), np.asarray(mean, dtype=float))
    return k, np.maximum(k, 0.0), mean


def count_cdf(k, mean, size) -> "np.ndarray":
    """P(Y <= k) of a negative binomial with this mean and size r (Poisson when r is inf)."""
    import numpy as np
    from scipy.special import betainc, pdtr

    k, at, mean = _counts(k, mean)
    cdf = pdtr(at, mean) if np.isinf(size) else betainc(size, at + 1.0, size / (size + mean))
    return np.where(k < 0, 0.0, cdf)


def count_sf(k, mean, size) -> "np.ndarray":
    """P(Y > k) of a negative binomial with this mean and size r (Poisson when r is inf)."""
    import numpy as np
    from scipy.special import betainc, pdtrc

    k, at, mean = _counts(k, mean)
    sf = pdtrc(at, mean) if np.isinf(size) else betainc(at + 1.0, size, mean / (size + mean))
    return np.where(k < 0, 1.0, sf)


def residual_scale(mean) -> "np.ndarray":
    """Residuals of points-like stats grow with the mean roughly like a count's (sqrt(mean)); at
    least 1 so a bench player's residuals are not inflated by a tiny mean."""
    import numpy as np

    return np.sqrt(np.maximum(np.asarray(mean, dtype=float), 1.0))


def scaled_residuals(mean, actual) -> "np.ndarray":
    import numpy as np

    mean = np.asarray(mean, dtype=float)
    return (np.asarray(actual, dtype=float) - mean) / residual_scale(mean)


def residual_probabilities(mean, line, residuals) -> "tuple[np.ndarray, np.ndarray, np.ndarray]":
    """P(over), P(under), P(push) when the outcome is round(mean + sqrt(mean) * z), z drawn from
    earlier scaled residuals (`scaled_residuals` of games before the date). Counts of the pool
    are smoothed by half an observation so no side is ever certain."""
    import numpy as np

    mean, line, whole = _line_arrays(mean, line)
    pool = np.sort(np.asarray(residuals, dtype=float))
    n = len(pool)
    if n == 0:
        raise ValueError("residual_probabilities needs earlier residuals")
    scale = residual_scale(mean)
    # Y > line  <=>  Y >= floor(line) + 1  <=>  X >= floor(line) + 0.5 (X rounds to Y)
    over_from = (np.floor(line) + 0.5 - mean) / scale
    # Y < line  <=>  Y <= ceil(line) - 1   <=>  X <  ceil(line) - 0.5
    under_to = (np.ceil(line) - 0.5 - mean) / scale
    p_over = (n - np.searchsorted(pool, over_from, side="left") + 0.5) / (n + 1)
    p_under = (np.searchsorted(pool, under_to, side="left") + 0.5) / (n + 1)
    return _assemble(p_over, p_under, whole)


def fit_negative_binomial_size(mean, actual, max_size: float = 1e4) -> float:
    """The dispersion r of a negative binomial around the given means, by moments:
    sum((y - mu)^2 - mu) = sum(mu^2) / r. inf (Poisson) when the data show no over-dispersion."""
    import numpy as np

    mean = np.asarray(mean, dtype=float)
    actual = np.asarray(actual, dtype=float)
    excess = float(np.sum((actual - mean) ** 2 - mean))
    if len(mean) == 0 or excess <= 0:
        return math.inf
    size = float(np.sum(mean**2)) / excess
    return math.inf if size >= max_size else size


def expected_value(p_win, p_push, odds) -> "np.ndarray":
    """Expected profit per unit staked at American `odds` (a push returns the stake)."""
    import numpy as np

    p_win, p_push = np.asarray(p_win, dtype=float), np.asarray(p_push, dtype=float)
    p_lose = 1.0 - p_win - p_push
    return p_win * (american_to_decimal(odds) - 1.0) - p_lose


def kelly_stake(p_win, p_push, odds, fraction: float = KELLY_FRACTION, cap: float = MAX_STAKE) -> "np.ndarray":
    """Fraction of the bankroll to stake: `fraction` of the Kelly stake, at most `cap`, 0 when the
    bet has no positive expectation. With pushes (stake returned) the Kelly stake maximizing
    p*log(1 + b f) + q*log(1 - f) is (b p - q) / (b (p + q))."""
    import numpy as np

    p = np.asarray(p_win, dtype=float)
    q = 1.0 - p - np.asarray(p_push, dtype=float)
    b = american_to_decimal(odds) - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        full = (b * p - q) / (b * (p + q))
    return np.clip(np.nan_to_num(full * fraction, nan=0.0), 0.0, cap)


def conditional_over(p_over, p_under) -> "np.ndarray":
    """P(over | not a push)."""
    import numpy as np

    p_over, p_under = np.asarray(p_over, dtype=float), np.asarray(p_under, dtype=float)
    return p_over / (p_over + p_under)


def _clipped(p) -> "np.ndarray":
    import numpy as np

    return np.clip(np.asarray(p, dtype=float), PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)


def brier(p, went_over) -> float:
    """Mean squared error of P(over) against the outcome (0/1)."""
    import numpy as np

    return float(np.mean((_clipped(p) - np.asarray(went_over, dtype=float)) ** 2))


def log_loss(p, went_over) -> float:
    """Mean negative log-likelihood of the outcome under P(over)."""
    import numpy as np

    p, y = _clipped(p), np.asarray(went_over, dtype=float)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def brier_skill(p_system, p_market, went_over) -> float:
    """1 - Brier(system) / Brier(market): > 0 beats the de-vigged market on the same rows."""
    return 1.0 - brier(p_system, went_over) / brier(p_market, went_over)


def calibration(p, went_over, max_steps: int = 50) -> tuple[float, float]:
    """(slope, intercept) of the logistic regression of the outcome on logit(p). A calibrated
    forecaster has slope 1 and intercept 0; slope < 1: its probabilities are too extreme.

    Unpenalized maximum likelihood by Newton's method on the two parameters, in numpy: the report
    fits it ~40 times per run, and scikit-learn's LogisticRegression spent more time validating its
    inputs than fitting (the estimates agree with it to 1e-6: tests/test_probability.py)."""
    import numpy as np

    p = _clipped(p)
    y = np.asarray(went_over, dtype=float)
    if len(np.unique(y)) < 2:
        return math.nan, math.nan
    x = np.log(p / (1 - p))
    intercept, slope = 0.0, 1.0
    for _ in range(max_steps):
        fitted = 0.5 * (1.0 + np.tanh(0.5 * (intercept + slope * x)))  # the logistic, without overflow
        weight = fitted * (1 - fitted)
        residual = y - fitted
        gradient = np.array([residual.sum(), (residual * x).sum()])
        hessian = np.array([[weight.sum(), (weight * x).sum()], [(weight * x).sum(), (weight * x * x).sum()]])
        try:
            step = np.linalg.solve(hessian, gradient)
        except np.linalg.LinAlgError:  # all p equal: no slope to estimate
            return math.nan, math.nan
        intercept, slope = intercept + step[0], slope + step[1]
        if np.abs(step).max() < 1e-10:
            return float(slope), float(intercept)
    return math.nan, math.nan  # no maximum (outcomes separated by p): no calibration to report


def reliability(p, went_over, bins: int = 10) -> "pd.DataFrame":
    """Per probability bin with rows: rows, mean predicted P(over), observed over rate. Summed with
    numpy (bincount): a report draws ~20 of these, a pandas groupby each cost more than the drawing."""
    import numpy as np
    import pandas as pd

    p, y = np.asarray(p, dtype=float), np.asarray(went_over, dtype=float)
    index = np.minimum((p * bins).astype(int), bins - 1)
    rows = np.bincount(index, minlength=bins)
    present = rows > 0
    with np.errstate(invalid="ignore"):
        predicted = np.bincount(index, weights=p, minlength=bins) / rows
        observed = np.bincount(index, weights=y, minlength=bins) / rows
    return pd.DataFrame(
        {
            "bin": np.arange(bins)[present],
            "rows": rows[present],
            "predicted": predicted[present],
            "observed": observed[present],
        }
    )


def wilson(wins: int, n: int, z: float = 1.96) -> tuple[float | None, float | None]:
    if n == 0:
        return None, None
    p = wins / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


@functools.lru_cache(maxsize=64)
def resample_weights(n: int, replicates: int, seed: int) -> "np.ndarray":
    """How many times each of n clusters is drawn in each replicate. Cached: a report bootstraps
    many statistics over the same dates, and common draws cost nothing in validity."""
    import numpy as np

    weights = np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=replicates)
    weights.flags.writeable = False
    return weights


def clustered_bootstrap(
    frame: "pd.DataFrame",
    cluster: str,
    columns: list[str],
    statistic: "Callable[[dict[str, np.ndarray]], np.ndarray]",
    replicates: int = 1000,
    level: float = 0.95,
    seed: int = 13,
) -> tuple[float | None, float | None]:
    """Percentile interval of a statistic made of column SUMS, resampling whole clusters (dates).

    `statistic` receives {column: sums} with one value per replicate (vectorized), e.g. hit rate
    = sums['win'] / sums['decided']; Brier skill = 1 - sums['se_system'] / sums['se_market']. Each
    replicate draws as many dates as there are, with replacement, and sums their rows."""
    values = {column: frame[column].to_numpy(dtype=float) for column in columns}
    return clustered_bootstrap_arrays(frame[cluster].to_numpy(), values, statistic, replicates, level, seed)


def clustered_bootstrap_arrays(
    clusters: "np.ndarray",
    values: "dict[str, np.ndarray]",
    statistic: "Callable[[dict[str, np.ndarray]], np.ndarray]",
    replicates: int = 1000,
    level: float = 0.95,
    seed: int = 13,
) -> tuple[float | None, float | None]:
    """`clustered_bootstrap` on arrays: each row's cluster (a date) and the summed columns' values
    (a report computes ~200 intervals: pandas per call cost more than the resampling)."""
    import numpy as np

    if len(clusters) == 0:
        return None, None
    distinct, codes = np.unique(clusters, return_inverse=True)  # sorted, as dates are
    weights = resample_weights(len(distinct), replicates, seed)
    sums = {
        column: weights @ np.bincount(codes, weights=column_values, minlength=len(distinct))
        for column, column_values in values.items()
    }
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.asarray(statistic(sums), dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return None, None
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)
