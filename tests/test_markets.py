"""Every predicted market on the replayed slice of the real archive: consensus lines per market
(counts equal the archive's, known players' lines), features from earlier games only, the
baseline's probabilities, grading by market, and the leakage guard in every market."""

import re

import numpy as np
import pandas as pd
import pytest

from nba_assets.lib.identity import player_lookup
from nba_assets.lib.markets import MARKET_KEYS, MODEL_MARKET_KEYS, PRICED_MARKETS, YES_NO_LINE, YES_NO_THRESHOLD
from tests.conftest import ARCHIVE, PROPS_FILE, ROOT, props_game_date, read_text

WINDOW = ("2025-11-02", "2025-11-04")
WINDOW_SQL = "game_date BETWEEN DATE '2025-11-02' AND DATE '2025-11-04'"


def test_python_and_dbt_list_the_same_markets():
    text = (ROOT / "dbt_project" / "macros" / "markets.sql").read_text()
    in_dbt = re.findall(
        r"'market': '(\w+)', 'raw_market': '(\w+)', 'columns': \[([^\]]*)\](?:, 'categories': (\d))?", text
    )
    in_python = [
        (m.market, m.raw_market, ", ".join(f"'{c}'" for c in m.columns), str(m.categories or ""))
        for m in PRICED_MARKETS
    ]
    assert in_dbt == in_python and len(in_dbt) == 9
    assert f"macro yes_no_threshold() -%}}{{{{ return({YES_NO_THRESHOLD}) }}}}" in text
    assert f"macro yes_no_line() -%}}{{{{ return({YES_NO_LINE}) }}}}" in text


def test_line_counts_per_market_equal_the_archive(replayed):
    props = read_text(ARCHIVE / PROPS_FILE)
    yes_no = props["market"].isin([m.raw_market for m in PRICED_MARKETS if m.yes_no])  # no line: 0.5
    props = props[props_game_date(props).between(*WINDOW) & (props["line"].notna() | yes_no)]
    aliases = pd.read_csv(ROOT / "dbt_project" / "seeds" / "player_aliases.csv")
    alias = dict(zip(aliases["alias_lookup"], aliases["player_lookup"]))
    lookup = props["player"].map(player_lookup)
    props = props.assign(game_date=props_game_date(props), player_lookup=lookup.map(lambda k: alias.get(k, k)))
    key = {m.raw_market: m.market for m in PRICED_MARKETS}
    props = props[props["market"].isin(key)].assign(market=lambda f: f["market"].map(key))
    expected = props.drop_duplicates(["game_date", "player_lookup", "market"]).groupby("market").size().to_dict()
    landed = replayed.query(
        f"SELECT market, count(*) AS n FROM nba_analytics.market_lines_consensus WHERE {WINDOW_SQL} GROUP BY 1"
    )
    assert dict(zip(landed["market"], landed["n"])) == expected
    assert set(expected) == set(MARKET_KEYS) and expected["rebounds"] > 300


def test_known_players_rebounds_and_assists_lines(replayed):
    # Facts of the shipped archive. Nikola Jokic, 2025-11-03: every book's main rebounds line was
    # 12.5 and assists line 9.5 (7 books; Bovada's alternates 10.5/11.5/13.5 and 8.5/10.5/11.5 are
    # not main lines); he had 7 rebounds and 14 assists.
    jokic = replayed.query(
        "SELECT market, consensus_line, n_books FROM nba_analytics.market_lines_consensus "
        "WHERE player_lookup = 'nikolajokic' AND game_date = DATE '2025-11-03' "
        "AND market IN ('rebounds', 'assists') ORDER BY market"
    )
    assert jokic.to_dict("records") == [
        {"market": "assists", "consensus_line": 9.5, "n_books": 7},
        {"market": "rebounds", "consensus_line": 12.5, "n_books": 7},
    ]
    # Shai Gilgeous-Alexander, 2025-11-02: the books split 4.5 / 5.5 on rebounds (median 5.0, no
    # book at 5.0, so no consensus price); assists 6.5 over 8 books.
    sga = replayed.query(
        "SELECT market, consensus_line, n_books, over_odds FROM nba_analytics.market_lines_consensus "
        "WHERE player_lookup = 'shaigilgeousalexander' AND game_date = DATE '2025-11-02' "
        "AND market IN ('rebounds', 'assists') ORDER BY market"
    )
    assert sga["consensus_line"].tolist() == [6.5, 5.0] and sga["n_books"].tolist() == [8, 8]
    assert sga["over_odds"].isna().tolist() == [False, True]
    graded = replayed.query(
        "SELECT market, actual_value, line, line_outcome FROM nba_grading.market_prop_accuracy "
        "WHERE player_lookup = 'nikolajokic' AND game_date = DATE '2025-11-03' "
        "AND system_id = 'moving_average_v1' ORDER BY market"
    )
    by_market = graded.set_index("market")
    assert by_market.loc["rebounds", "actual_value"] == 7 and by_market.loc["rebounds", "line_outcome"] == "UNDER"
    assert by_market.loc["assists", "actual_value"] == 14 and by_market.loc["assists", "line_outcome"] == "OVER"
    assert by_market.loc["pra", "actual_value"] == 34 + 7 + 14


def test_market_features_use_only_earlier_games(replayed):
    features = replayed.query(
        f"SELECT * FROM nba_features.player_market_features WHERE {WINDOW_SQL} "
        "AND market IN ('rebounds', 'threes', 'pra') AND has_line"
    )
    used = features["last_feature_game_date"].notna()
    assert (features.loc[used, "last_feature_game_date"] < features.loc[used, "game_date"]).all()
    games = replayed.query(
        "SELECT game_date, player_lookup, opponent_abbr, minutes, rebounds, fg3m, "
        "points + rebounds + assists AS pra FROM nba_analytics.player_game_summary WHERE played"
    )
    games = games.rename(columns={"fg3m": "threes"})
    checked = 0
    for row in features.dropna(subset=["stat_avg_last_5"]).itertuples():
        earlier = games[(games["player_lookup"] == row.player_lookup) & (games["game_date"] < row.game_date)]
        earlier = earlier.sort_values("game_date", ascending=False)
        last10 = earlier.head(10)
        assert row.stat_avg_last_5 == pytest.approx(earlier[row.market].head(5).mean())
        assert row.stat_avg_last_10 == pytest.approx(last10[row.market].mean())
        assert row.stat_per_minute_last_10 == pytest.approx(last10[row.market].sum() / last10["minutes"].sum())
        checked += 1
    assert checked > 900
    # The opponent's allowed rebounds: what players facing it grabbed, its last 10 games before.
    row = features[(features["market"] == "rebounds") & features["opponent_allowed_last_10"].notna()].iloc[0]
    against = games[(games["opponent_abbr"] == row.opponent_abbr) & (games["game_date"] < row.game_date)]
    per_game = against.groupby("game_date")["rebounds"].sum().sort_index(ascending=False).head(10)
    assert row.opponent_allowed_last_10 == pytest.approx(per_game.mean())


def test_every_line_in_every_market_is_predicted_and_graded(replayed):
    lines = replayed.query(
        f"SELECT market, count(*) AS n FROM nba_analytics.market_lines_consensus WHERE {WINDOW_SQL} GROUP BY 1"
    )
    graded = replayed.query(
        f"SELECT market, count(*) AS n, sum(CASE WHEN is_graded THEN 1 ELSE 0 END) AS graded, "
        f"sum(CASE WHEN p_over IS NOT NULL THEN 1 ELSE 0 END) AS with_p "
        f"FROM nba_grading.market_prop_accuracy WHERE {WINDOW_SQL} AND system_id = 'moving_average_v1' GROUP BY 1"
    )
    merged = lines.merge(graded, on="market")
    assert len(merged) == 9
    assert (merged["n_x"] == merged["n_y"]).all() and (merged["graded"] == merged["n_y"]).all()
    # After 12 days of history every market has probabilities for nearly every line (rows
    # without are players with no earlier game).
    assert (merged["with_p"] >= 0.9 * merged["n_y"]).all()
    rows = replayed.query(f"SELECT * FROM nba_grading.market_prop_accuracy WHERE {WINDOW_SQL} AND p_over IS NOT NULL")
    assert np.allclose(rows["p_over"] + rows["p_under"] + rows["p_push"], 1.0, atol=2e-4)
    half = rows["line"] % 1 == 0.5
    assert (rows.loc[half, "p_push"] == 0).all() and (rows.loc[~half, "p_push"] > 0).all()
    played = rows[rows["player_outcome"] == "PLAYED"]
    assert ((played["line_outcome"] == "PUSH") == (played["actual_value"] == played["line"])).all()
    assert (rows.loc[rows["player_outcome"] != "PLAYED", "result"] == "VOID").all()
    picks = rows[rows["recommendation"] != "PASS"]
    assert (picks["ev"] > 0).all() and picks["price"].notna().all()
    assert ((picks["stake"] > 0) & (picks["stake"] <= 0.02)).all()


def test_a_planted_leak_in_any_market_blocks_the_market_predictions(replayed):
    """One planted leak per market (a feature row claiming a game of its own date): the blocking
    check names all seven (the markets with features) and the market predictions do not run."""
    from dagster import AssetCheckKey, AssetKey, AssetSelection, materialize

    table = "nba_predictions.market_prop_predictions"
    before = replayed.query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0]
    for market in MODEL_MARKET_KEYS:
        replayed.query(
            "UPDATE nba_features.player_market_features SET last_feature_game_date = game_date "
            "WHERE game_date = DATE '2025-11-04' AND market = ? AND player_lookup = ("
            "  SELECT min(player_lookup) FROM nba_features.player_market_features "
            "  WHERE game_date = DATE '2025-11-04' AND market = ? AND has_line) RETURNING 1",
            [market, market],
        )
    try:
        selection = AssetSelection.checks(
            AssetCheckKey(AssetKey("player_market_features"), "market_features_before_game_date")
        ) | AssetSelection.assets("market_prop_predictions")
        replayed._point_dbt_here()
        result = materialize(
            [*replayed.defs.assets, *replayed.defs.asset_checks],
            selection=selection,
            partition_key="2025-11-04",
            resources=replayed.resources,
            instance=replayed.instance,
            raise_on_error=False,
        )
        check = [e for e in result.get_asset_check_evaluations() if e.check_name == "market_features_before_game_date"]
        assert check and not check[0].passed
        assert check[0].metadata["leaked_rows"].value == 7
        listing = check[0].metadata["rows"].value
        assert all(f" {market}:" in listing for market in MODEL_MARKET_KEYS)
        materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
        assert "market_prop_predictions" not in materialized
        assert replayed.query(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0] == before
    finally:
        replayed.query(
            "UPDATE nba_features.player_market_features SET last_feature_game_date = NULL "
            "WHERE last_feature_game_date = game_date RETURNING 1"
        )
        assert replayed.replay("2025-11-04", "2025-11-04")[0].success


def test_a_dates_distribution_is_fitted_on_earlier_dates_only():
    """Adding games of the date itself and later (with wild results) to the history changes no
    probability of the date; too little earlier history means no probabilities at all."""
    from nba_assets.defs.predictions.market_predictions import FIT_MIN_ROWS, with_probabilities

    rng = np.random.default_rng(7)
    dates = pd.date_range("2025-11-01", periods=12, freq="D")
    day = dates[8]
    history = pd.concat(
        [
            pd.DataFrame({"game_date": d, "market": market, "predicted_value": rng.uniform(2, 25, 60)})
            for d in dates
            for market in ("rebounds", "points")
        ],
        ignore_index=True,
    )
    history["actual_value"] = rng.poisson(history["predicted_value"]).astype(float)
    features = pd.DataFrame(
        {"game_date": day, "market": ["rebounds", "points"], "predicted_value": [7.3, 21.4], "line": [6.5, 22.0]}
    )
    earlier = history[history["game_date"] < day]
    wild = history.assign(actual_value=np.where(history["game_date"] >= day, 99.0, history["actual_value"]))
    honest = with_probabilities(features, earlier)
    assert honest["p_over"].notna().all()
    pd.testing.assert_frame_equal(honest, with_probabilities(features, wild))
    assert (
        with_probabilities(features, earlier[earlier["game_date"] < dates[FIT_MIN_ROWS // 120]])["p_over"].isna().all()
    )


def test_published_picks_on_real_data_follow_the_rules_and_are_graded(replayed, monkeypatch):
    """The publishing path on real rows: with the gate told to publish every record (on the
    archive none earns it), 2025-11-04's best bets are the highest-EV sides, at most 2 per game and
    15, staked at most 2%; the files validate; results carry each pick's outcome and the day's
    stakes and profit. Then the day is rebuilt with the real gate (no picks, a reason)."""
    import datetime as dt
    import json

    from dagster import materialize

    from nba_assets.defs.predictions import best_bets, system_health
    from nba_assets.lib import export_schemas as schemas
    from nba_assets.lib import gate as gate_rule
    from nba_assets.lib import pricing

    day = "2025-11-04"
    root = replayed.root / "data" / "v1"
    selection = ["best_bets", "export_best_bets", "export_results"]

    def rebuild():
        replayed._point_dbt_here()
        result = materialize(
            [*replayed.defs.assets, *replayed.defs.asset_checks],
            selection=selection,
            partition_key=day,
            resources=replayed.resources,
            instance=replayed.instance,
        )
        assert result.success

    monkeypatch.setattr(system_health, "PUBLISHED", set(gate_rule.STATUSES))
    try:
        rebuild()
        bets = schemas.BestBetsFile.model_validate_json((root / "best-bets" / f"{day}.json").read_text())
        # How many the rules allow: published markets' positive-EV sides, 2 per game, 15 a day.
        published = {(g.system_id, g.market) for g in bets.systems if g.published}
        first = dt.date.fromisoformat(day)
        window = (replayed.warehouse, first, first + dt.timedelta(days=1))
        quotes = best_bets.quotes_of(*window)
        # every side at its best unsuspected book, ranked by the EV at the shrunk probability, > 0
        candidates = pricing.best_prices(pricing.sides(best_bets.predictions_of(*window)), quotes)
        in_gate = [(s, m) in published for s, m in zip(candidates["system_id"], candidates["market"])]
        candidates = candidates[np.array(in_gate, dtype=bool) & (candidates["ev"] > 0)]
        game = candidates[["team_abbr", "opponent_abbr"]].apply(lambda r: "-".join(sorted(r)), axis=1)
        allowed = min(15, int(game.value_counts().clip(upper=2).sum()))
        assert allowed >= 10 and len(bets.picks) == allowed and bets.no_picks_reason is None
        assert [p.rank for p in bets.picks] == list(range(1, allowed + 1))
        evs = [p.ev for p in bets.picks]
        assert evs == sorted(evs, reverse=True)
        games = pd.Series(["-".join(sorted([p.team, p.opponent])) for p in bets.picks]).value_counts()
        assert games.max() <= 2
        assert all(0 < p.stake <= 0.02 and p.price is not None for p in bets.picks)
        # each pick names a book whose unsuspected quote of that line has that price
        quoted = quotes.set_index(["player_lookup", "market", "bookmaker", "line"])
        for p in bets.picks:
            quote = quoted.loc[(p.player_lookup, p.market, p.book, p.line)]
            assert not quote["suspect"]
            assert p.price == (quote["over_odds"] if p.recommendation == "OVER" else quote["under_odds"])
            assert p.consensus_line is not None and p.consensus_ev is not None
        # The first pick is the day's best side; each game's picks are its best two.
        assert bets.picks[0].ev == pytest.approx(candidates["ev"].max())
        best_two = candidates.assign(game=game).groupby("game")["ev"].nlargest(2).round(4)
        picked = pd.Series(
            [p.ev for p in bets.picks], index=["-".join(sorted([p.team, p.opponent])) for p in bets.picks]
        )
        for name, evs in picked.groupby(level=0):
            assert sorted(evs.round(4), reverse=True) == sorted(best_two.loc[name], reverse=True)
        results = schemas.ResultsFile.model_validate_json((root / "results" / f"{day}.json").read_text())
        assert [p.player_lookup for p in results.picks] == [p.player_lookup for p in bets.picks]
        assert results.summary.pending == 0 and results.summary.picks == allowed
        graded = replayed.query(
            "SELECT player_lookup, market, system_id, line, recommendation, result, actual_value, player_outcome "
            f"FROM nba_grading.market_prop_accuracy WHERE game_date = DATE '{day}'"
        ).set_index(["player_lookup", "market", "system_id"])
        for pick in results.picks:
            row = graded.loc[(pick.player_lookup, pick.market, pick.system_id)]
            # graded at the pick's own line and side (a better line, the other side than the
            # consensus pick): dbt's grading where they are the same
            if row["player_outcome"] != "PLAYED":
                assert pick.result == "VOID"
            elif pick.actual_value == pick.line:
                assert pick.result == "PUSH"
            else:
                assert pick.result == (
                    "WIN" if (pick.actual_value > pick.line) == (pick.recommendation == "OVER") else "LOSS"
                )
            if pick.line == row["line"] and pick.recommendation == row["recommendation"]:
                assert pick.result == row["result"]
            # a player ruled out is VOID with no value (absent from the box score)
            expected = None if pd.isna(row["actual_value"]) else float(row["actual_value"])
            assert pick.actual_value == expected
        staked = sum(p.stake for p in results.picks if p.result in ("WIN", "LOSS", "PUSH"))
        assert results.summary.staked == pytest.approx(staked, abs=1e-5)
    finally:
        monkeypatch.undo()
        rebuild()
    bets = json.loads((root / "best-bets" / f"{day}.json").read_text())
    assert bets["picks"] == [] and "held back" in bets["no_picks_reason"]


def test_a_window_without_lines_has_no_gate_and_no_picks(replayed):
    """Dates with games but no prop lines (the archive's lines end 2025-11-23; a live source before
    lines are posted): the best-bets step writes nothing and does not fail (the UI backfill of
    2025-11-24..30 failed here)."""
    import datetime as dt

    from nba_assets.defs.predictions.best_bets import GATE_COLUMN_TYPES, gate_of, predictions_of, quotes_of

    start, end = dt.date(2025, 11, 10), dt.date(2025, 11, 12)  # after the replayed slice's lines
    candidates = predictions_of(replayed.warehouse, start, end)
    assert quotes_of(replayed.warehouse, start, end).empty
    assert candidates.empty
    gate = gate_of(replayed.warehouse, start, end, candidates)
    assert gate.empty and list(gate.columns) == list(GATE_COLUMN_TYPES)
