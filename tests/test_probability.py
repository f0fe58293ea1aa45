"""Probabilities, prices, stakes and scores (nba_assets/lib/probability.py) on known numbers and on
synthetic players drawn from known distributions (generated data, not tuning on real data)."""

import numpy as np
import pandas as pd
import pytest

from nba_assets.lib import probability as prob

LINES = np.array([0.5, 1.0, 1.5, 4.0, 4.5, 12.0, 12.5, 25.0, 25.5])
MEANS = np.array([0.4, 1.2, 2.0, 4.1, 4.4, 11.0, 13.0, 24.0, 27.0])


@pytest.mark.parametrize("size", [np.inf, 2.5, 40.0])
def test_negative_binomial_sides_sum_to_one_and_push_only_on_whole_lines(size):
    over, under, push = prob.negative_binomial_probabilities(MEANS, LINES, size)
    assert np.allclose(over + under + push, 1.0)
    whole = LINES == np.round(LINES)
    assert (push[~whole] == 0).all() and (push[whole] > 0).all()
    # Poisson(4.1), line 4: P(Y = 4) = e^-4.1 4.1^4 / 4! = 0.1951
    if np.isinf(size):
        assert push[3] == pytest.approx(np.exp(-4.1) * 4.1**4 / 24, abs=1e-4)


@pytest.mark.parametrize("size", [np.inf, 0.7, 2.5, 40.0, 5000.0])
def test_count_distributions_agree_with_scipy_stats(size):
    """count_cdf / count_sf (scipy.special) are scipy.stats' nbinom and poisson, k < 0 included
    (to ~1e-13: with p near 1 scipy.stats works from p, these from 1 - p = mean / (size + mean))."""
    from scipy.stats import nbinom, poisson

    k = np.array([-3, -1, 0, 0, 1, 2, 4, 7, 12, 25, 40, 3.5])
    mean = np.array([0.3, 2.0, 1e-6, 0.8, 1.5, 2.2, 4.4, 6.0, 11.0, 24.0, 27.0, 3.0])
    if np.isinf(size):
        cdf, sf = poisson.cdf(k, mean), poisson.sf(k, mean)
    else:
        p = size / (size + mean)
        cdf, sf = nbinom.cdf(k, size, p), nbinom.sf(k, size, p)
    assert np.allclose(prob.count_cdf(k, mean, size), cdf, rtol=1e-10, atol=1e-12)
    assert np.allclose(prob.count_sf(k, mean, size), sf, rtol=1e-10, atol=1e-12)
    assert np.allclose(prob.count_cdf(k, mean, size) + prob.count_sf(k, mean, size), 1.0)


def test_residual_sides_sum_to_one_and_follow_the_pool():
    rng = np.random.default_rng(1)
    pool = rng.normal(size=5000)
    over, under, push = prob.residual_probabilities(MEANS, LINES, pool)
    assert np.allclose(over + under + push, 1.0)
    assert (push[LINES != np.round(LINES)] == 0).all()
    # mean 25.5 on a line 25.5: over needs X >= 25.5, i.e. z >= 0: about half the pool
    over, _, _ = prob.residual_probabilities([25.5], [25.5], pool)
    assert over[0] == pytest.approx(0.5, abs=0.02)


def test_negative_binomial_dispersion_is_recovered():
    rng = np.random.default_rng(2)
    mean = rng.gamma(4.0, 1.5, size=40_000)
    size = 3.0
    actual = rng.negative_binomial(size, size / (size + mean))
    assert prob.fit_negative_binomial_size(mean, actual) == pytest.approx(size, rel=0.1)
    poisson = rng.poisson(mean)
    assert prob.fit_negative_binomial_size(mean, poisson) > 30  # no over-dispersion: Poisson-like


def _slope(p, y):
    return prob.calibration(p, y)[0]


def test_negative_binomial_probabilities_are_calibrated_on_synthetic_players():
    """Players with known means and a negative-binomial spread: the dispersion is fitted on one
    draw of games, P(over) predicted for another; predicted and observed over rates agree. The
    same test with a Poisson (dispersion ignored) fails: over-confident, slope well below 1."""
    rng = np.random.default_rng(3)
    size = 4.0

    def games(n):
        mean = rng.gamma(3.0, 2.0, size=n)
        return mean, rng.negative_binomial(size, size / (size + mean))

    train_mean, train_actual = games(20_000)
    fitted = prob.fit_negative_binomial_size(train_mean, train_actual)
    mean, actual = games(40_000)
    line = np.floor(mean) + rng.choice([-0.5, 0.5, 1.5], size=len(mean))
    line = np.maximum(line, 0.5)
    over, under, _ = prob.negative_binomial_probabilities(mean, line, fitted)
    p = prob.conditional_over(over, under)
    went_over = actual > line
    slope, intercept = prob.calibration(p, went_over)
    assert 0.93 < slope < 1.07 and abs(intercept) < 0.05
    bins = prob.reliability(p, went_over)
    populated = bins[bins["rows"] >= 500]
    assert len(populated) >= 6
    assert (populated["observed"] - populated["predicted"]).abs().max() < 0.03
    over_p, under_p, _ = prob.negative_binomial_probabilities(mean, line, np.inf)
    assert _slope(prob.conditional_over(over_p, under_p), went_over) < 0.85


def test_residual_probabilities_are_calibrated_on_synthetic_scorers():
    """Scorers whose points are round(mean + sqrt(mean) * t-noise): the residual pool of earlier
    games gives calibrated P(over) on whole and half lines of later games (pushes excluded)."""
    rng = np.random.default_rng(4)

    def games(n):
        mean = rng.uniform(8, 32, size=n)
        return mean, np.maximum(np.round(mean + np.sqrt(mean) * 1.3 * rng.standard_t(5, size=n)), 0)

    train_mean, train_actual = games(15_000)
    pool = prob.scaled_residuals(train_mean, train_actual)
    mean, actual = games(40_000)
    line = np.round(mean + rng.normal(0, 3, size=len(mean))) + rng.choice([0.0, 0.5], size=len(mean))
    over, under, push = prob.residual_probabilities(mean, line, pool)
    decided = actual != line
    p = prob.conditional_over(over, under)[decided]
    went_over = (actual > line)[decided]
    slope, intercept = prob.calibration(p, went_over)
    assert 0.93 < slope < 1.07 and abs(intercept) < 0.05
    # Whole lines: the predicted push rate matches the observed one.
    whole = line == np.round(line)
    assert push[whole].mean() == pytest.approx((actual == line)[whole].mean(), abs=0.01)


def test_devig_ev_and_kelly_on_known_prices():
    assert prob.american_to_decimal([-110, 150, np.nan])[:2] == pytest.approx([1 + 100 / 110, 2.5])
    assert np.isnan(prob.american_to_decimal([np.nan])[0])
    assert prob.devig_over(-110, -110) == pytest.approx(0.5)
    # -150 / +130: implied 0.6 and 0.4348, fair over 0.6 / 1.0348
    assert prob.devig_over(-150, 130) == pytest.approx(0.6 / (0.6 + 100 / 230))
    # 55% at -110: 0.55 * 0.9091 - 0.45 = +0.05 per unit
    assert prob.expected_value(0.55, 0.0, -110) == pytest.approx(0.05, abs=1e-9)
    assert prob.expected_value(0.5, 0.0, -110) == pytest.approx(0.5 * 100 / 110 - 0.5)
    # full Kelly (b p - q) / b = (0.5 - 0.45) / 0.9091 = 0.055; a quarter: 0.01375
    assert prob.kelly_stake(0.55, 0.0, -110) == pytest.approx(0.01375, abs=1e-9)
    # 70% at even money: a quarter of 0.4 is 0.1, capped at 2% of the bankroll
    assert prob.kelly_stake(0.7, 0.0, 100) == pytest.approx(0.02)
    # no edge, no stake; a missing price, no stake
    assert prob.kelly_stake(0.5, 0.0, -110) == 0.0
    assert prob.kelly_stake(0.6, 0.0, np.nan) == 0.0
    # with a push chance: (b p - q) / (b (p + q)) = (0.4545 - 0.4) / (0.9091 * 0.9), a quarter
    assert prob.kelly_stake(0.5, 0.1, -110) == pytest.approx((0.5 / 1.1 - 0.4) / (0.9 / 1.1) / 4, abs=1e-9)


def test_scores_on_known_numbers():
    p, y = np.array([0.8, 0.3, 0.6]), np.array([1, 0, 0])
    assert prob.brier(p, y) == pytest.approx((0.04 + 0.09 + 0.36) / 3)
    assert prob.log_loss(p, y) == pytest.approx(-(np.log(0.8) + np.log(0.7) + np.log(0.4)) / 3)
    assert prob.brier_skill(p, np.full(3, 0.5), y) == pytest.approx(1 - 0.49 / 3 / 0.25)
    # a certain wrong answer is clipped, not infinite
    assert np.isfinite(prob.log_loss([1.0], [0]))


def test_calibration_slope_sees_overconfidence():
    rng = np.random.default_rng(5)
    truth = rng.uniform(0.2, 0.8, size=30_000)
    y = rng.random(len(truth)) < truth
    assert prob.calibration(truth, y)[0] == pytest.approx(1.0, abs=0.08)
    logit = np.log(truth / (1 - truth))
    overconfident = 1 / (1 + np.exp(-2 * logit))
    assert prob.calibration(overconfident, y)[0] == pytest.approx(0.5, abs=0.06)


def test_calibration_fit_and_scores_agree_with_scikit_learn():
    """The numpy Newton fit is the maximum-likelihood logistic regression scikit-learn finds; Brier
    and log loss are scikit-learn's (same clipping)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, log_loss

    rng = np.random.default_rng(8)
    p = rng.uniform(0.05, 0.95, size=5_000)
    y = rng.random(len(p)) < 1 / (1 + np.exp(-(0.3 + 0.7 * np.log(p / (1 - p)))))
    slope, intercept = prob.calibration(p, y)
    reference = LogisticRegression(C=np.inf, solver="newton-cholesky", tol=1e-10).fit(np.log(p / (1 - p))[:, None], y)
    assert slope == pytest.approx(reference.coef_[0][0], abs=1e-6)
    assert intercept == pytest.approx(reference.intercept_[0], abs=1e-6)
    assert prob.brier(p, y) == pytest.approx(brier_score_loss(y, p), rel=1e-12)
    assert prob.log_loss(p, y) == pytest.approx(log_loss(y, p), rel=1e-12)
    # one outcome only, or outcomes separated by p: no slope to report
    assert np.isnan(prob.calibration(p, np.ones(len(p)))).all()
    assert np.isnan(prob.calibration(p, p > 0.5)).all()


def test_clustered_bootstrap_is_wider_than_rows_when_a_date_moves_together():
    """40 dates of 20 picks where a whole date wins or loses together: the effective sample is
    40, not 800, and the date-clustered interval says so; the Wilson interval on rows does not."""
    rng = np.random.default_rng(6)
    date_wins = rng.random(40) < 0.55
    frame = pd.DataFrame(
        {"game_date": np.repeat(np.arange(40), 20), "win": np.repeat(date_wins, 20).astype(float), "decided": 1.0}
    )
    low, high = prob.clustered_bootstrap(frame, "game_date", ["win", "decided"], lambda s: s["win"] / s["decided"])
    rate = frame["win"].mean()
    assert low < rate < high
    wilson_low, wilson_high = prob.wilson(int(frame["win"].sum()), len(frame))
    assert (high - low) > 2.5 * (wilson_high - wilson_low)
    # independent rows: the two agree roughly
    frame["win"] = (rng.random(len(frame)) < 0.55).astype(float)
    low, high = prob.clustered_bootstrap(frame, "game_date", ["win", "decided"], lambda s: s["win"] / s["decided"])
    wilson_low, wilson_high = prob.wilson(int(frame["win"].sum()), len(frame))
    assert (high - low) == pytest.approx(wilson_high - wilson_low, rel=0.35)
