"""The replay source on the shipped archive and on small hand-made archives."""

import datetime as dt

import pandas as pd
import pytest

from nba_assets.lib.partitions import ARCHIVE_END_EXCLUSIVE
from resources.sources.replay.archive import ArchiveError
from resources.sources.replay.source import ReplaySource
from tests.conftest import ARCHIVE, PROPS_FILE, read_text, write_archive_slice

shipped = ReplaySource(archive_dir=str(ARCHIVE))


def test_partitions_end_where_the_shipped_archive_ends():
    box = shipped._index().box_by_date
    assert max(box) + dt.timedelta(days=1) == dt.date.fromisoformat(ARCHIVE_END_EXCLUSIVE)


def test_2024_25_box_scores_get_game_ids_from_the_schedule():
    rows = shipped.player_boxscores(dt.date(2024, 10, 22)).rows
    assert len(rows) > 0 and rows["game_id"].notna().all()
    # Anthony Davis, LAL vs MIN on opening night 2024-25: 36 points.
    davis = rows[rows["player_name"] == "Anthony Davis"].iloc[0]
    assert (davis["team_abbr"], davis["opponent_abbr"], davis["points"]) == ("LAL", "MIN", "36")


def test_neutral_site_games_keep_both_teams():
    # MIA @ WAS in Mexico City, 2024-11-02: both teams' schedule rows read "MIA @ WAS".
    games = shipped.schedule(dt.date(2024, 11, 2)).rows
    game = games[games["game_id"] == "0022400147"].iloc[0]
    assert (game["home_team_abbr"], game["away_team_abbr"]) == ("WAS", "MIA")
    assert (game["home_points"], game["away_points"]) == (98, 118)


def test_2025_26_games_after_the_calendar_are_derived_from_box_scores():
    games = shipped.schedule(dt.date(2026, 1, 15)).rows
    box = shipped.player_boxscores(dt.date(2026, 1, 15)).rows
    assert len(games) > 0
    for game in games.itertuples():
        home = box[(box["game_id"] == game.game_id) & (box["team_abbr"] == game.home_team_abbr)]
        assert pd.to_numeric(home["points"]).sum() == game.home_points


def test_a_date_without_games_is_empty():
    assert shipped.schedule(dt.date(2025, 7, 15)).rows.empty
    assert shipped.player_boxscores(dt.date(2025, 7, 15)).rows.empty


def test_games_outside_the_archives_box_score_coverage_are_not_served():
    # 2024-25 playoffs are in the schedule files but not in the partial 2024-25 logs.
    assert shipped.schedule(dt.date(2025, 5, 1)).rows.empty


def test_every_shipped_file_is_of_a_known_shape_and_accounted_for():
    report = {r.file: r for r in shipped.file_report()}
    assert shipped._index().archive.ignored == []
    # Reference files are known (listed, not loaded); every loaded file's rows are accounted for.
    assert report["static/players.csv.gz"].shape == "nba_api_static_players"
    assert report["boxscores/starter_flags_2025_26_mixed_leagues.csv.gz"].kind == "reference"
    for r in report.values():
        if r.kind != "reference":
            assert r.rows_read == r.rows_served + r.duplicates + r.rows_rejected > 0, r
    # NBA.com lists 54 play-in rows of 2025-26 twice, once without turnovers: one row kept, counted.
    assert report["boxscores/player_game_logs_2025_26.csv.gz"].duplicates == 54


def test_an_unknown_file_is_listed_with_its_columns_and_the_nearest_shapes_missing_columns(tmp_path):
    archive = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    mine = {"game_date": ["2025-11-02"], "player": ["A"], "market": ["player_points"], "line": ["20.5"]}
    pd.DataFrame({**mine, "bookmaker": ["fanduel"], "odds": ["-110"]}).to_csv(
        archive / "props" / "my_export.csv", index=False
    )
    report = {r.file: r for r in ReplaySource(archive_dir=str(archive)).file_report()}
    unknown = report["props/my_export.csv"]
    assert unknown.shape is None and unknown.columns == [*mine, "bookmaker", "odds"]
    assert unknown.nearest_shape == "plain_lines"
    assert unknown.nearest_missing == ["away_team", "home_team", "over_price", "under_price"]


def test_a_dropped_in_snapshot_file_is_served(tmp_path):
    archive = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    source = ReplaySource(archive_dir=str(archive))
    before = len(source.prop_lines(dt.date(2025, 11, 2)).rows)
    later = read_text(archive / PROPS_FILE).assign(snapshot_file="raw_20251102_220000.csv")
    later.to_csv(archive / "props" / "raw_20251102_220000.csv.gz", index=False)
    rows = source.prop_lines(dt.date(2025, 11, 2)).rows
    assert len(rows) == 2 * before
    assert set(rows["snapshot_time"].dt.hour) == {17, 22}


def test_drifted_file_is_an_error_naming_file_and_columns(tmp_path):
    archive = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    read_text(archive / PROPS_FILE).drop(columns=["line"]).to_csv(archive / "props" / "new.csv", index=False)
    with pytest.raises(ArchiveError, match=r"new\.csv.*\['line'\]"):
        ReplaySource(archive_dir=str(archive)).prop_lines(dt.date(2025, 11, 2))


def test_missing_archive_folder_is_a_clear_error(tmp_path):
    with pytest.raises(ArchiveError, match="does not exist"):
        ReplaySource(archive_dir=str(tmp_path / "nowhere")).schedule(dt.date(2025, 11, 2))
