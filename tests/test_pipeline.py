"""The whole graph on a slice of the real archive: counts, real values, checks, idempotency, and
features that never look at their own date."""

import pytest

from tests.conftest import ARCHIVE, BOX_FILE, CALENDAR_FILE, PROPS_FILE, props_game_date, read_text

WINDOW = ("2025-11-02", "2025-11-04")
WINDOW_SQL = "game_date BETWEEN DATE '2025-11-02' AND DATE '2025-11-04'"


def per_date(pipeline, table: str, where: str = "") -> dict:
    frame = pipeline.query(f"SELECT game_date, count(*) AS n FROM {table} WHERE {WINDOW_SQL} {where} GROUP BY 1")
    return {d.strftime("%Y-%m-%d"): n for d, n in zip(frame["game_date"], frame["n"])}


def archive_counts():
    box = read_text(ARCHIVE / BOX_FILE)
    box = box[(box["GAME_DATE"] >= WINDOW[0]) & (box["GAME_DATE"] <= WINDOW[1])]
    calendar = read_text(ARCHIVE / CALENDAR_FILE)
    calendar = calendar[(calendar["GAME_DATE"] >= WINDOW[0]) & (calendar["GAME_DATE"] <= WINDOW[1])]
    return box.groupby("GAME_DATE").size().to_dict(), calendar.groupby("GAME_DATE").size().to_dict()


def test_raw_counts_match_the_archive(replayed):
    box_expected, games_expected = archive_counts()
    assert per_date(replayed, "nba_raw.schedule") == games_expected
    assert per_date(replayed, "nba_raw.player_boxscores") == box_expected
    props = read_text(ARCHIVE / PROPS_FILE)
    dates = props_game_date(props)
    expected_props = props[(dates >= WINDOW[0]) & (dates <= WINDOW[1])]
    assert sum(per_date(replayed, "nba_raw.prop_lines").values()) == len(expected_props)


def test_landing_files_exist_per_source_and_date(replayed):
    for source in ("schedule", "player_boxscores", "prop_lines"):
        for date in ("2025-11-02", "2025-11-03", "2025-11-04"):
            assert (replayed.root / "data" / "landing" / source / f"{date}.csv.gz").exists()


def test_known_player_points_and_consensus_line(replayed):
    # Shai Gilgeous-Alexander, OKC, 2025-11-02 and 2025-11-04: 30 points each night; every book's
    # main line was 31.5 on both dates (facts from the shipped archive).
    rows = replayed.query(
        "SELECT g.game_date, g.points, g.team_abbr, c.consensus_line, c.n_books "
        "FROM nba_analytics.player_game_summary g "
        "JOIN nba_analytics.market_lines_consensus c USING (game_date, player_lookup) "
        f"WHERE c.market = 'points' AND g.player_lookup = 'shaigilgeousalexander' AND g.{WINDOW_SQL} ORDER BY 1"
    )
    assert rows["points"].tolist() == [30, 30]
    assert rows["team_abbr"].tolist() == ["OKC", "OKC"]
    assert rows["consensus_line"].tolist() == [31.5, 31.5]
    assert (rows["n_books"] >= 7).all()
    # Nikola Jokic, DEN vs SAC on 2025-11-03: 34 points, consensus 24.5 over 7 books.
    jokic = replayed.query(
        "SELECT a.actual_value, a.line, a.result, a.recommendation, p.predicted_value "
        "FROM nba_grading.market_prop_accuracy a JOIN nba_predictions.market_prop_predictions p "
        "USING (game_date, player_lookup, market, system_id) "
        "WHERE a.player_lookup = 'nikolajokic' AND a.game_date = DATE '2025-11-03' AND a.market = 'points'"
    ).iloc[0]
    assert jokic["actual_value"] == 34 and jokic["line"] == 24.5


def test_every_player_with_a_line_has_a_prediction_and_is_graded(replayed):
    lines = per_date(replayed, "nba_analytics.market_lines_consensus", "AND market = 'points'")
    predicted = per_date(
        replayed,
        "nba_predictions.market_prop_predictions",
        "AND line IS NOT NULL AND system_id = 'moving_average_v1' AND market = 'points'",
    )
    assert lines == predicted and sum(lines.values()) > 300
    # Coverage per date and market: all nine markets (double/triple-double included), every date.
    coverage = replayed.query(
        f"SELECT game_date, market, coverage_pct, status FROM nba_grading.grading_coverage_daily WHERE {WINDOW_SQL}"
    )
    assert len(coverage) == 3 * 9 and coverage["market"].nunique() == 9
    assert (coverage["coverage_pct"] >= 90).all()


def test_checks_pass_on_real_data(replayed):
    evaluations = {e.check_name: e for result in replayed.window_results for e in result.get_asset_check_evaluations()}
    for name in (
        "completeness",
        "unique_keys",
        "line_match_rate",
        "grading_coverage",
        "market_features_before_game_date",
        "market_training_before_week",
    ):
        assert evaluations[name].passed, (name, evaluations[name].description)
    assert evaluations["line_match_rate"].metadata["match_rate_pct"].value >= 99.0


def test_feature_store_uses_only_earlier_games(replayed):
    features = replayed.query(
        f"SELECT * FROM nba_features.player_market_features WHERE market = 'points' AND {WINDOW_SQL}"
    )
    assert (
        features["last_feature_game_date"].dropna() < features["game_date"][features["last_feature_game_date"].notna()]
    ).all()
    games = replayed.query(
        "SELECT game_date, player_lookup, points FROM nba_analytics.player_game_summary WHERE played"
    )
    # Recompute L5 / L10 averages from the played games strictly before each date.
    checked = 0
    for row in features.dropna(subset=["stat_avg_last_5"]).itertuples():
        earlier = games[(games["player_lookup"] == row.player_lookup) & (games["game_date"] < row.game_date)]
        earlier = earlier.sort_values("game_date", ascending=False)
        assert row.stat_avg_last_5 == pytest.approx(earlier["points"].head(5).mean())
        assert row.stat_avg_last_10 == pytest.approx(earlier["points"].head(10).mean())
        checked += 1
    assert checked > 300


def test_rerunning_the_window_is_idempotent(replayed):
    tables = [
        "nba_raw.schedule",
        "nba_raw.player_boxscores",
        "nba_raw.prop_lines",
        "nba_analytics.player_game_summary",
        "nba_features.player_market_features",
        "nba_predictions.market_prop_predictions",
        "nba_grading.market_prop_accuracy",
    ]
    before = {t: replayed.query(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0] for t in tables}
    assert all(result.success for result in replayed.replay(*WINDOW))
    after = {t: replayed.query(f"SELECT count(*) AS n FROM {t}")["n"].iloc[0] for t in tables}
    assert after == before
    duplicates = replayed.query(
        "SELECT game_date, player_lookup, market, system_id, count(*) FROM nba_predictions.market_prop_predictions "
        "GROUP BY ALL HAVING count(*) > 1"
    )
    assert duplicates.empty
