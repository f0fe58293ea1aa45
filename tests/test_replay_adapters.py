"""The recognised shapes (resources/sources/replay/adapters) on small real-shaped files written from
the APIs' documentation (tests/fixtures/byod), dropped into a slice of the archive."""

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from resources.sources.replay.source import ReplaySource
from tests.conftest import ARCHIVE, ROOT, write_archive_slice

FIXTURES = Path(__file__).parent / "fixtures" / "byod"
DATE = dt.date(2025, 11, 2)
MEM_TOR = "0022500152"  # MEM @ TOR, 2025-11-02


def byod_archive(root: Path, drop_game: str | None = None) -> Path:
    archive = write_archive_slice(root / "archive", "2025-11-02", "2025-11-02", drop_game)
    # nba_api's player directory (shipped): NBA.com ids of the players named by the other APIs.
    (archive / "static").mkdir()
    shutil.copy(ARCHIVE / "static" / "players.csv.gz", archive / "static")
    return archive


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    # The archive's 2025-11-02 without MEM @ TOR's box scores: the API-NBA and plain files hold them.
    archive = byod_archive(tmp_path_factory.mktemp("byod"), MEM_TOR)
    shutil.copytree(FIXTURES, archive / "mine")
    return ReplaySource(archive_dir=str(archive))


def report_of(source, name: str):
    return next(r for r in source.file_report() if r.file == f"mine/{name}")


def lines_of(source, name: str) -> pd.DataFrame:
    rows = source.prop_lines(DATE).rows
    return rows[rows["source_file"] == f"mine/{name}"].set_index(["bookmaker", "player_name", "line"])


@pytest.mark.parametrize(
    "name, shape",
    [
        ("odds_api/event_odds_mem_tor.json", "odds_api_event_odds_json"),
        ("odds_api/event_odds_mem_tor_normalized.csv", "odds_api_json_normalized"),
    ],
)
def test_odds_api_event_odds_as_returned_and_json_normalized(source, name, shape):
    report = report_of(source, name)
    assert (report.shape, report.rows_read, report.rows_served) == (shape, 9, 4)
    assert report.rejected == {"game market, not a player prop (no outcomes_description)": 2}
    lines = lines_of(source, name)
    jackson = lines.loc[("draftkings", "Jaren Jackson Jr", "23.5")]
    assert (jackson["over_odds"], jackson["under_odds"]) == ("-119", "-107")
    assert (jackson["home_team_abbr"], jackson["away_team_abbr"], jackson["market"]) == ("TOR", "MEM", "player_points")
    assert jackson["commence_time"] == pd.Timestamp("2025-11-02T23:10:00Z")
    assert jackson["snapshot_time"] == pd.Timestamp("2025-11-02T16:58:41Z")  # the market's last_update
    assert lines.loc[("fanduel", "Jaren Jackson Jr", "22.5"), "snapshot_time"] == pd.Timestamp("2025-11-02T16:57:30Z")
    barnes = lines.loc[("draftkings", "Scottie Barnes", "18.5")]  # an Over without its Under
    assert barnes["over_odds"] == "-120" and pd.isna(barnes["under_odds"])


def test_api_nba_player_statistics_resolve_nba_ids_and_list_unmatched_names(source):
    report = report_of(source, "api_nba/players_statistics_2025-11-02.json")
    assert (report.shape, report.rows_read, report.rows_served) == ("api_nba_player_statistics_json", 3, 2)
    assert report.rejected == {"player name matches no NBA.com player (1 names: Two-Way Prospect)": 1}
    box = source.player_boxscores(DATE).rows.set_index("player_name")
    barnes = box.loc["Scottie Barnes"]
    # NBA.com's id (not API-NBA's 1883), the game id from the schedule, the date from the file name.
    assert (barnes["player_id"], barnes["game_id"], barnes["team_abbr"], barnes["opponent_abbr"]) == (
        "1630567",
        MEM_TOR,
        "TOR",
        "MEM",
    )
    assert (barnes["points"], barnes["rebounds"], barnes["assists"], barnes["fg3m"], barnes["minutes"]) == (
        "19",
        "12",
        "8",
        "3",
        "32",
    )
    assert box.loc["Jaren Jackson Jr.", "minutes"] == "32"  # "32:00"


def test_balldontlie_stats_equal_to_the_archives_rows_are_duplicates(tmp_path):
    archive = byod_archive(tmp_path)
    shutil.copy(ROOT / "tests/recorded/balldontlie/stats_2025-11-02_page1.json", archive / "bdl_stats.json")
    source = ReplaySource(archive_dir=str(archive))
    report = next(r for r in source.file_report() if r.file == "bdl_stats.json")
    assert report.shape == "balldontlie_stats_json" and report.rows_read == 100
    # The same players and games as NBA.com's logs, with FGA they lack: one row each, counted as
    # duplicates of the older file's, the FGA filled in; balldontlie also lists two injured OKC
    # players (0 minutes) NBA.com's logs leave out: those two are served.
    assert (report.duplicates, report.rows_served, report.rejected) == (98, 2, {})
    box = source.player_boxscores(DATE).rows.set_index("player_name")
    assert box.loc["Jaren Jackson Jr.", "fga"] == "15" and box.loc["Jaren Jackson Jr.", "game_id"] == MEM_TOR


def test_plain_contracts(source):
    lines = report_of(source, "plain/lines.csv")
    assert (lines.shape, lines.rows_read, lines.rows_served) == ("plain_lines", 3, 2)
    assert lines.rejected == {"team not an NBA team: Memphis Hustle, Raptors 905": 1}
    aldama = lines_of(source, "plain/lines.csv").loc[("mybook", "Santi Aldama", "12.5")]
    assert (aldama["home_team_abbr"], aldama["away_team_abbr"], aldama["over_odds"]) == ("TOR", "MEM", "+100")
    box = report_of(source, "plain/boxscores.csv")
    assert (box.shape, box.rows_served, box.rejected) == ("plain_boxscores", 2, {})
    rows = source.player_boxscores(DATE).rows.set_index("player_name")
    assert (rows.loc["RJ Barrett", "player_id"], rows.loc["RJ Barrett", "game_id"]) == ("1629628", MEM_TOR)
