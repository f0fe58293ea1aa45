"""Double-double and triple-double (issue 22 item 5): exact probabilities on synthetic players, the
correlation from earlier games only, grading of planted box scores, scoring against the de-vigged
market on a planted slate, and the real archive replayed (the last test: slow, `replayed`)."""

import math

import numpy as np
import pandas as pd
import pytest

from nba_assets.lib import yes_no
from nba_assets.lib.markets import YES_NO_KEYS, actual_values


def _orthant(r12, r13, r23):
    """P(Z1 > 0, Z2 > 0, Z3 > 0), exact (Sheppard)."""
    return 1 / 8 + (math.asin(r12) + math.asin(r13) + math.asin(r23)) / (4 * math.pi)


def test_bivariate_normal_is_exact():
    # Sheppard's orthant formula and independence, exactly
    for rho in (-0.9, -0.3, 0.0, 0.4, 0.95):
        assert yes_no.bivariate_upper(0.0, 0.0, rho) == pytest.approx(0.25 + math.asin(rho) / (2 * math.pi), abs=1e-12)
    from scipy.special import ndtr

    h, k = np.array([-1.3, 0.2, 2.1]), np.array([0.7, -0.4, 1.5])
    assert np.allclose(yes_no.bivariate_cdf(h, k, 0.0), ndtr(h) * ndtr(k), atol=1e-14)
    # perfectly (counter)monotone
    assert np.allclose(yes_no.bivariate_cdf(h, k, 1.0), ndtr(np.minimum(h, k)), atol=1e-14)
    assert np.allclose(yes_no.bivariate_cdf(h, k, -1.0), np.maximum(ndtr(h) + ndtr(k) - 1, 0), atol=1e-14)
    # against scipy's (Genz) on a grid of thresholds and correlations
    from scipy.stats import multivariate_normal

    for a, b, rho in [(-1.0, 0.5, 0.3), (1.2, 1.8, 0.7), (-0.3, -2.0, -0.6), (0.0, 0.9, 0.85)]:
        expected = multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]]).cdf([a, b])
        assert yes_no.bivariate_cdf(a, b, rho) == pytest.approx(expected, abs=1e-6)


def test_trivariate_normal_is_exact():
    for r in [(0.0, 0.0, 0.0), (0.3, 0.5, 0.2), (0.8, 0.6, 0.7), (-0.2, 0.4, 0.1)]:
        assert yes_no.trivariate_upper(0.0, 0.0, 0.0, *r) == pytest.approx(_orthant(*r), abs=1e-9)
    from scipy.stats import multivariate_normal

    a, b, c, r12, r13, r23 = 0.8, -0.3, 1.4, 0.35, 0.2, 0.55
    cov = [[1, r12, r13], [r12, 1, r23], [r13, r23, 1]]
    # P(Z > (a, b, c)) = P(-Z < -(a, b, c)), -Z has the same correlations
    expected = multivariate_normal(mean=[0, 0, 0], cov=cov).cdf([-a, -b, -c])
    assert yes_no.trivariate_upper(a, b, c, r12, r13, r23) == pytest.approx(expected, abs=2e-5)


def test_independent_players_follow_the_product_formula():
    p = np.array([[0.8, 0.4, 0.15], [0.3, 0.6, 0.05], [0.99, 0.5, 0.5]])
    double, triple = yes_no.yes_probabilities(p, np.zeros((3, 3)))
    a, b, c = p.T
    assert np.allclose(triple, a * b * c, atol=1e-12)
    assert np.allclose(double, a * b + a * c + b * c - 2 * a * b * c, atol=1e-12)


def test_perfectly_correlated_players_take_the_order_statistics():
    """Comonotone: a triple-double is the least likely category, a double-double the middle one."""
    p = np.array([[0.8, 0.4, 0.15], [0.3, 0.6, 0.05]])
    double, triple = yes_no.yes_probabilities(p, np.ones((2, 3)))
    assert np.allclose(triple, p.min(axis=1), atol=1e-12)
    assert np.allclose(double, np.median(p, axis=1), atol=1e-12)


def test_a_hand_computed_player():
    """P(10+ points) 0.9, rebounds and assists 0.5 each with correlation 0.5 between them, points
    independent of both: P(reb and ast) = 1/4 + asin(0.5)/(2 pi) = 1/3 (Sheppard), so
    P(TD) = 0.9 / 3 = 0.3 and P(DD) = 0.45 + 0.45 + 1/3 - 2 * 0.3 = 19/30."""
    double, triple = yes_no.yes_probabilities(np.array([[0.9, 0.5, 0.5]]), np.array([[0.0, 0.0, 0.5]]))
    assert triple[0] == pytest.approx(0.3, abs=1e-10)
    assert double[0] == pytest.approx(19 / 30, abs=1e-10)


def test_probabilities_are_ordered_and_match_a_simulation_of_discrete_players():
    """On random players: P(TD) <= each pair's P <= P(DD) <= half the sum of the marginals; and
    the exact values equal a simulation of the discretised copula with negative-binomial points,
    rebounds and assists (fixed seed, 200,000 draws: within 4 standard errors)."""
    from scipy.stats import nbinom

    rng = np.random.default_rng(22)
    p = rng.uniform(0.02, 0.98, size=(200, 3))
    factors = rng.normal(size=(200, 3, 4))  # random valid correlation matrices: normalized A A^T
    cov = factors @ factors.transpose(0, 2, 1)
    scale = np.sqrt(np.einsum("nii->ni", cov))
    corr = cov / scale[:, :, None] / scale[:, None, :]
    r = np.column_stack([corr[:, i, j] for i, j in yes_no.PAIRS])
    double, triple = yes_no.yes_probabilities(p, r)
    from scipy.special import ndtri

    u = ndtri(1 - p)
    pairs = np.column_stack(
        [yes_no.bivariate_upper(u[:, i], u[:, j], r[:, n]) for n, (i, j) in enumerate(yes_no.PAIRS)]
    )
    assert (triple[:, None] <= pairs + 1e-9).all() and (pairs <= double[:, None] + 1e-9).all()
    assert (double <= p.sum(axis=1) / 2 + 1e-9).all()

    means, sizes = np.array([22.0, 9.0, 7.0]), np.array([8.0, 6.0, 5.0])
    corr = np.array([[1, 0.25, 0.4], [0.25, 1, 0.1], [0.4, 0.1, 1]])
    z = rng.multivariate_normal(np.zeros(3), corr, size=200_000)
    from scipy.special import ndtr

    draws = np.column_stack([nbinom.ppf(ndtr(z[:, i]), sizes[i], sizes[i] / (sizes[i] + means[i])) for i in range(3)])
    reached = (draws >= 10).sum(axis=1)
    tails = np.array([[nbinom.sf(9, sizes[i], sizes[i] / (sizes[i] + means[i])) for i in range(3)]])
    exact_double, exact_triple = yes_no.yes_probabilities(tails, np.array([[0.25, 0.4, 0.1]]))
    for exact, simulated in ((exact_double[0], (reached >= 2).mean()), (exact_triple[0], (reached >= 3).mean())):
        assert abs(exact - simulated) < 4 * math.sqrt(exact * (1 - exact) / len(z))


def _games(player, dates, values):
    return pd.DataFrame(
        {
            "game_date": pd.to_datetime(dates),
            "player_lookup": player,
            "points": [v[0] for v in values],
            "rebounds": [v[1] for v in values],
            "assists": [v[2] for v in values],
        }
    )


def _league(rng, dates, players=30):
    frames = []
    for i in range(players):
        base = rng.normal(size=(len(dates), 1))
        stats = np.column_stack(
            [
                20 + 6 * (base[:, 0] + rng.normal(size=len(dates))),
                6 + 3 * rng.normal(size=len(dates)),
                5 + 2 * rng.normal(size=len(dates)),
            ]
        )
        frames.append(_games(f"p{i:02d}", dates, np.round(stats)))
    return pd.concat(frames, ignore_index=True)


def test_the_correlation_uses_games_strictly_before_the_date_and_shrinks_toward_the_league():
    rng = np.random.default_rng(5)
    dates = pd.date_range("2025-10-01", periods=50, freq="D")
    day = dates[45]
    games = _league(rng, dates)
    targets = pd.DataFrame({"game_date": [day, day], "player_lookup": ["p03", "newcomer"]})
    honest = yes_no.correlations(games[games["game_date"] < day], targets)
    # a planted game of the date itself (and one after it) with wild values changes nothing
    planted = pd.concat(
        [games, _games("p03", [day, dates[47]], [(80, 40, 30), (0, 0, 0)]), _games("newcomer", [day], [(50, 20, 20)])],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(honest, yes_no.correlations(planted, targets))
    used = honest.dropna(subset=["last_correlation_game_date"])  # the newcomer has no earlier game
    assert len(used) == 1 and (used["last_correlation_game_date"] < used["game_date"]).all()
    from nba_assets.defs.predictions.yes_no_rows import leaked

    assert leaked(honest).empty
    assert len(leaked(honest.assign(last_correlation_game_date=honest["game_date"]))) == 2  # the guard names them
    # the player's own estimate: his last 40 games' normal scores, shrunk with weight 20 to the league's
    own_games = games[(games["player_lookup"] == "p03") & (games["game_date"] < day)].tail(yes_no.CORRELATION_GAMES)
    own = yes_no.pair_correlations(yes_no.normal_scores(own_games[list(yes_no.STATS)].to_numpy(float)))
    league = yes_no.league_correlation(games[games["game_date"] < day])  # 45 dates: all within LEAGUE_DATES
    row = honest.set_index("player_lookup").loc["p03"]
    assert row["correlation_games"] == 40
    expected = (40 * own + 20 * league) / 60
    assert [row["r_pts_reb"], row["r_pts_ast"], row["r_reb_ast"]] == pytest.approx(list(expected), abs=1e-12)
    # the planted league's points, rebounds and assists are independent: its correlations are near 0
    assert np.abs(league).max() < 0.1
    # a player without earlier games takes the league's
    newcomer = honest.set_index("player_lookup").loc["newcomer"]
    assert newcomer["correlation_games"] == 0
    assert [newcomer["r_pts_reb"], newcomer["r_pts_ast"], newcomer["r_reb_ast"]] == pytest.approx(list(league))


def test_normal_scores_average_tied_ranks():
    scores = yes_no.normal_scores(np.array([[3.0], [1.0], [3.0], [2.0]]))
    from scipy.special import ndtri

    assert scores[:, 0] == pytest.approx(ndtri(np.array([3.5, 1, 3.5, 2]) / 5))


def test_league_correlation_pools_each_players_own_normal_scores():
    """The vectorized league correlation equals its definition written plainly: each player's
    normal scores from scipy's average ranks within his own games, players under
    MIN_PLAYER_GAMES left out, one Pearson correlation over the pooled scores (ties included)."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    rng = np.random.default_rng(11)
    games = _league(rng, pd.date_range("2025-10-01", periods=12, freq="D"), players=25)
    games = games.sample(frac=0.8, random_state=3)  # uneven players, some under 5 games
    games = pd.concat([games, _games("few", games["game_date"].iloc[:3], [(30, 2, 1)] * 3)], ignore_index=True)
    parts = []
    for _, player in games.groupby("player_lookup"):
        if len(player) >= yes_no.MIN_PLAYER_GAMES:
            stats = player[list(yes_no.STATS)].to_numpy(float)
            parts.append(ndtri(rankdata(stats, axis=0) / (len(stats) + 1)))
    pooled = np.corrcoef(np.concatenate(parts), rowvar=False)
    expected = [pooled[i, j] for i, j in yes_no.PAIRS]
    assert list(yes_no.league_correlation(games)) == pytest.approx(expected, abs=1e-12)
    assert list(yes_no.league_correlation(games[games["player_lookup"] == "few"])) == [0, 0, 0]


def test_box_scores_graded_on_the_five_categories():
    """The Python mirror of the grading (training and history use it; dbt's is tested by the
    `yes_no_grading` unit test): 10/10/9 is a double-double, 10 points 10 steals too, 9/9/9 is
    nothing, 10/10/10 a triple-double."""
    box = pd.DataFrame(
        [
            (10, 10, 9, 0, 0),
            (10, 2, 3, 10, 0),
            (4, 10, 1, 0, 10),
            (9, 9, 9, 9, 9),
            (10, 10, 10, 1, 1),
            (30, 10, 10, float("nan"), 0),
        ],
        columns=["points", "rebounds", "assists", "steals", "blocks"],
    )
    frame = pd.concat([box.assign(market=m) for m in YES_NO_KEYS], ignore_index=True)
    values = actual_values(frame)
    double = values[frame["market"] == "double_double"].tolist()
    triple = values[frame["market"] == "triple_double"].tolist()
    assert double[:5] == [1, 1, 1, 0, 1] and triple[:5] == [0, 0, 0, 0, 1]
    assert math.isnan(double[5]) and math.isnan(triple[5])  # a missing category: no value, not a no


def _slate():
    """Two players with a double-double line and one with a triple-double line: their P(10+)
    tails, correlations and the books' Yes/No consensus prices."""
    day = pd.Timestamp("2025-11-04")
    lines = pd.DataFrame(
        {
            "game_date": day,
            "player_lookup": ["big", "guard", "big"],
            "market": ["double_double", "double_double", "triple_double"],
            "consensus_line": 0.5,
            "n_books": [6, 5, 4],
            "over_odds": [-250.0, 400.0, 1200.0],
            "under_odds": [190.0, -600.0, -3000.0],
        }
    )
    tails = pd.DataFrame(
        {
            "game_date": day,
            "player_lookup": ["big", "guard"],
            "points": [0.9, 0.95],
            "rebounds": [0.5, 0.05],
            "assists": [0.5, 0.2],
        }
    )
    correlations = pd.DataFrame(
        {
            "game_date": day,
            "player_lookup": ["big", "guard"],
            "r_pts_reb": [0.0, 0.0],
            "r_pts_ast": [0.0, 0.0],
            "r_reb_ast": [0.5, 0.0],
            "correlation_games": [40, 40],
            "last_correlation_game_date": day - pd.Timedelta(days=2),
        }
    )
    features = pd.DataFrame(
        {
            "game_date": day,
            "player_lookup": ["big", "guard"],
            "market": "points",
            "player_name": ["Big", "Guard"],
            "team_abbr": ["AAA", "BBB"],
            "opponent_abbr": ["BBB", "AAA"],
        }
    )
    return lines, tails, correlations, features


def test_a_planted_slate_is_priced_picked_and_scored_against_the_devigged_market():
    from nba_assets.defs.grading import market_backtest
    from nba_assets.defs.predictions.market_predictions import BASELINE, predict_yes_no
    from nba_assets.lib import probability as prob

    lines, tails, correlations, features = _slate()
    rows = predict_yes_no(lines, tails, correlations, features, BASELINE, 0.0).set_index(["player_lookup", "market"])
    big_dd, guard_dd, big_td = (
        rows.loc[("big", "double_double")],
        rows.loc[("guard", "double_double")],
        rows.loc[("big", "triple_double")],
    )
    # the hand-computed player above: P(DD) = 19/30, P(TD) = 0.3; the guard is independent
    assert big_dd["p_over"] == round(19 / 30, 4) and big_td["p_over"] == 0.3
    guard = 0.95 * 0.05 + 0.95 * 0.2 + 0.05 * 0.2 - 2 * 0.95 * 0.05 * 0.2
    assert guard_dd["p_over"] == round(guard, 4)
    assert (rows["p_push"] == 0).all() and np.allclose(rows["p_over"] + rows["p_under"], 1)
    assert (rows["predicted_value"] == rows["p_over"]).all() and (rows["line"] == 0.5).all()
    assert (rows["distribution"] == "gaussian_copula").all() and rows.loc[
        ("big", "double_double"), "team_abbr"
    ] == "AAA"
    # the market: multiplicative de-vig of Yes/No; the side with the larger EV at its price
    assert big_dd["market_p_over"] == round(float(prob.devig_over(-250.0, 190.0)), 4)
    ev_yes = float(prob.expected_value(big_dd["p_over"], 0, -250.0))
    ev_no = float(prob.expected_value(big_dd["p_under"], 0, 190.0))
    assert big_dd["recommendation"] == ("OVER" if ev_yes >= ev_no else "UNDER")
    assert big_dd["ev"] == round(max(ev_yes, ev_no), 4) and big_dd["price"] == (-250.0 if ev_yes >= ev_no else 190.0)
    assert big_td["recommendation"] == "OVER" and big_td["price"] == 1200.0  # 0.3 at +1200: EV 2.9

    # graded: the big man had 12/11/8 (a double-double, no triple), the guard 25/4/6 (neither)
    graded = rows.reset_index()
    outcome = np.array(["OVER", "UNDER", "UNDER"])  # big DD yes, guard DD no, big TD no
    picked = graded["recommendation"].to_numpy()
    graded = graded.assign(
        line_outcome=outcome,
        result=np.where(picked == "PASS", "PASS", np.where((picked == "OVER") == (outcome == "OVER"), "WIN", "LOSS")),
        actual_value=(outcome == "OVER").astype(float),
        game_date=pd.to_datetime(graded["game_date"]),
    )
    report = market_backtest.report(graded)
    entries = {e["market"]: e for e in report["entries"]}
    dd = entries["double_double"]
    p = graded[graded["market"] == "double_double"]
    y = (p["line_outcome"] == "OVER").to_numpy(float)
    brier = np.mean((p["p_over"].to_numpy() - y) ** 2)
    market_brier = np.mean((p["market_p_over"].to_numpy() - y) ** 2)
    assert dd["scored_rows"] == 2 and dd["brier"] == pytest.approx(brier)
    assert dd["market_brier"] == pytest.approx(market_brier)
    assert dd["brier_skill"] == pytest.approx(1 - brier / market_brier)
    assert dd["outcome_rows"] == 2 and dd["outcome_brier"] == pytest.approx(brier) and dd["mae"] is None
    assert entries["triple_double"]["picks"]["bets"] == 1 and entries["triple_double"]["picks"]["losses"] == 1


def test_without_market_prices_a_slate_is_scored_against_the_outcome_alone():
    """The archive's double/triple-double rows have no price: no pick, no market score, the
    outcome scores and a reliability diagram from them."""
    from nba_assets.defs.grading import market_backtest
    from nba_assets.defs.predictions.market_predictions import BASELINE, predict_yes_no

    lines, tails, correlations, features = _slate()
    lines = lines.assign(over_odds=np.nan, under_odds=np.nan)
    rows = predict_yes_no(lines, tails, correlations, features, BASELINE, 0.0)
    assert (rows["recommendation"] == "PASS").all() and rows["market_p_over"].isna().all()
    graded = rows.assign(line_outcome=["OVER", "UNDER", "UNDER"], result="PASS", actual_value=[1.0, 0.0, 0.0])
    graded = graded.assign(game_date=pd.to_datetime(graded["game_date"]))
    entries = {e["market"]: e for e in market_backtest.report(graded)["entries"]}
    dd = entries["double_double"]
    assert dd["scored_rows"] == 0 and dd["brier_skill"] is None and dd["outcome_rows"] == 2
    p = graded[graded["market"] == "double_double"]["p_over"].to_numpy()
    assert dd["outcome_brier"] == pytest.approx(np.mean((p - np.array([1.0, 0.0])) ** 2))
    assert "against the outcome alone" in market_backtest.markdown({"entries": list(entries.values())})


def test_the_replayed_archive_prices_grades_and_reports_both_yes_no_markets(replayed):
    """The real archive's 2025-11-02..04: every double/triple-double line (counts equal the
    archive's player-dates) is predicted by both systems, graded on the box score (the five
    categories, checked against the box scores here) and in the report; the archive has no Yes/No
    prices, so no market probability, no pick, and the gate holds both markets back."""
    import datetime as dt

    from nba_assets.cli.replay import format_market_summary, market_scores
    from nba_assets.defs.predictions import coverage
    from nba_assets.defs.predictions.system_health import graded_market_rows
    from nba_assets.lib.identity import player_lookup
    from tests.conftest import ARCHIVE, PROPS_FILE, ROOT, props_game_date, read_text

    window = "game_date BETWEEN DATE '2025-11-02' AND DATE '2025-11-04'"
    props = read_text(ARCHIVE / PROPS_FILE)
    raw = {"player_double_double": "double_double", "player_triple_double": "triple_double"}
    props = props[props_game_date(props).between("2025-11-02", "2025-11-04") & props["market"].isin(raw)]
    aliases = pd.read_csv(ROOT / "dbt_project" / "seeds" / "player_aliases.csv")
    alias = dict(zip(aliases["alias_lookup"], aliases["player_lookup"]))
    props = props.assign(
        game_date=props_game_date(props),
        player_lookup=props["player"].map(player_lookup).map(lambda k: alias.get(k, k)),
        market=props["market"].map(raw),
    )
    expected = props.drop_duplicates(["game_date", "player_lookup", "market"]).groupby("market").size().to_dict()
    assert expected["double_double"] > 150 and expected["triple_double"] > 20
    lines = replayed.query(
        f"SELECT market, count(*) AS n, min(consensus_line) AS low, max(consensus_line) AS high, "
        f"count(over_odds) AS priced FROM nba_analytics.market_lines_consensus WHERE {window} "
        "AND market IN ('double_double', 'triple_double') GROUP BY 1"
    ).set_index("market")
    assert lines["n"].to_dict() == expected
    assert (lines["low"] == 0.5).all() and (lines["high"] == 0.5).all() and (lines["priced"] == 0).all()

    predictions = replayed.query(
        f"SELECT * FROM nba_predictions.market_prop_predictions WHERE {window} "
        "AND market IN ('double_double', 'triple_double')"
    )
    per_system = predictions.groupby(["market", "system_id"]).agg(rows=("line", "size"), with_p=("p_over", "count"))
    # the ML system has distributions from the week of 2025-11-03 on (test_ml_and_exports.py)
    ml_week = predictions[pd.to_datetime(predictions["game_date"]) >= pd.Timestamp("2025-11-03")]
    ml_week = ml_week.groupby(["market", "system_id"])["line"].size()
    for market, n in expected.items():
        baseline = per_system.loc[(market, "moving_average_v1")]
        assert baseline["rows"] == n and baseline["with_p"] >= 0.9 * n
        ml = per_system.loc[(market, "ml_market_v1")]
        assert ml["rows"] == ml["with_p"] >= 0.9 * ml_week[(market, "moving_average_v1")]
    priced = predictions[predictions["p_over"].notna()]
    assert (priced["p_push"] == 0).all() and np.allclose(priced["p_over"] + priced["p_under"], 1, atol=1e-4)
    assert (priced["distribution"] == "gaussian_copula").all() and (priced["predicted_value"] == priced["p_over"]).all()
    assert priced["market_p_over"].isna().all() and (priced["recommendation"] == "PASS").all()
    # P(TD) <= P(DD) for the same player, date and system, and real stars look like it
    both = priced.pivot_table(index=["game_date", "player_lookup", "system_id"], columns="market", values="p_over")
    both = both.dropna()
    assert len(both) > 20 and (both["triple_double"] <= both["double_double"]).all()
    jokic = both.xs("nikolajokic", level="player_lookup")
    assert (jokic["double_double"] > 0.6).all() and (jokic["triple_double"] > 0.15).all()
    assert priced.groupby("market")["p_over"].mean().pipe(lambda m: m["triple_double"] < m["double_double"])

    graded = replayed.query(
        f"SELECT a.*, g.points, g.rebounds, g.assists, g.steals, g.blocks "
        f"FROM nba_grading.market_prop_accuracy a LEFT JOIN nba_analytics.player_game_summary g "
        f"ON g.game_date = a.game_date AND g.player_lookup = a.player_lookup "
        f"WHERE a.{window} AND a.market IN ('double_double', 'triple_double')"
    )
    assert len(graded) == len(predictions) and graded["is_graded"].all()
    played = graded[graded["player_outcome"] == "PLAYED"]
    assert len(played) > 0.8 * len(graded)
    assert (played["actual_value"] == actual_values(played)).all()
    assert ((played["line_outcome"] == "OVER") == (played["actual_value"] == 1)).all()
    assert played.loc[played["market"] == "double_double", "actual_value"].sum() > 10

    # the report (performance.json `markets`): scored against the outcome alone, a reliability diagram
    import json

    root = replayed.root / "data" / "v1" / "systems"
    performance = json.loads((root / "performance.json").read_text())
    entries = {(e["market"], e["system_id"]): e for e in performance["markets"] if e["segment"] == "all"}
    for market in YES_NO_KEYS:
        for system in ("moving_average_v1", "ml_market_v1"):
            entry = entries[(market, system)]
            assert entry["scored_rows"] == 0 and entry["brier_skill"] is None and entry["mae"] is None
            # the same rows of both systems: the ML system's two dates (2025-11-03..04)
            assert entry["outcome_rows"] > {"double_double": 100, "triple_double": 20}[market]
            assert 0 < entry["outcome_brier"] < 0.25
        assert (root / "plots" / f"reliability_{market}.png").read_bytes()[:4] == b"\x89PNG"
    # the replay's summary prints both markets; the gate holds them back; coverage is checked
    scores = market_scores(graded_market_rows(replayed.warehouse, dt.date(2025, 11, 2), dt.date(2025, 11, 4)))
    summary = format_market_summary(scores)
    for market in YES_NO_KEYS:
        assert sum(line.startswith(market) for line in summary.splitlines()) == 2
    gate = replayed.query(
        f"SELECT * FROM nba_predictions.best_bets_gate WHERE {window} AND market IN ('double_double', 'triple_double')"
    )
    assert len(gate) == 3 * 2 * 2 and not gate["publish"].astype(bool).any()
    rates = coverage.prediction_coverage(replayed.warehouse, dt.date(2025, 11, 2), dt.date(2025, 11, 5))
    assert (rates[rates["market"].isin(YES_NO_KEYS)]["coverage"] >= 0.95).all()


def test_a_yes_no_side_is_taken_at_the_best_unsuspected_book():
    """Best price on a planted double-double: three books quote Yes/No; one's Yes at +150 while the
    others price it near -245 is suspect (far from the books' de-vigged probability) and never
    taken, however good it looks; Yes goes to the better of the other two, No likewise."""
    from nba_assets.defs.predictions.market_predictions import BASELINE, predict_yes_no
    from nba_assets.lib import pricing

    lines, tails, correlations, features = _slate()
    rows = predict_yes_no(lines, tails, correlations, features, BASELINE, 0.0)
    big = rows[(rows["player_lookup"] == "big") & (rows["market"] == "double_double")]
    quotes = pd.DataFrame(
        {
            "game_date": big["game_date"].iloc[0],
            "player_lookup": "big",
            "market": "double_double",
            "bookmaker": ["book_a", "book_b", "stale"],
            "line": 0.5,
            "over_odds": [-240.0, -250.0, 150.0],
            "under_odds": [180.0, 190.0, -180.0],
            "books_at_line": 3,
        }
    )
    flagged = pricing.flag_suspect(quotes)
    assert flagged.set_index("bookmaker")["suspect"].to_dict() == {"book_a": False, "book_b": False, "stale": True}
    best = pricing.best_prices(pricing.sides(big), flagged).set_index("recommendation")
    assert best.loc["OVER", "book"] == "book_a" and best.loc["OVER", "price"] == -240.0
    assert best.loc["UNDER", "book"] == "book_b" and best.loc["UNDER", "price"] == 190.0
    assert (best["line"] == 0.5).all() and (best["p_push"] == 0).all()
