"""`make import SRC=folder`: a user's folder validated into the archive's layout, atomically."""

import shutil
from pathlib import Path

from nba_assets.cli.import_data import import_folder
from resources.sources.replay.archive import archive_files
from tests.conftest import BOX_FILE, read_text, write_archive_slice

FIXTURES = Path(__file__).parent / "fixtures" / "byod"


def files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in archive_files(root)}


def test_import_places_known_files_and_leaves_the_rest_out(tmp_path, capsys):
    archive = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    before = files(archive)
    src = tmp_path / "my_files"
    shutil.copytree(FIXTURES / "odds_api", src / "odds")
    shutil.copy(FIXTURES / "plain" / "lines.csv", src / "lines.csv")
    (src / "notes.csv").write_text("city,temperature_c\nToronto,4\n")
    read_text(archive / BOX_FILE).drop(columns=["PTS"]).to_csv(src / "drifted.csv", index=False)
    (src / "readme.txt").write_text("my scraper's files")

    assert import_folder(src, archive) == 0
    out = capsys.readouterr().out
    assert files(archive) - before == {
        "imported/my_files/props/odds/event_odds_mem_tor.json",
        "imported/my_files/props/odds/event_odds_mem_tor_normalized.csv",
        "imported/my_files/props/lines.csv",
    }
    table = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.startswith("imported/")}
    # shape, read, served, duplicates, rejected
    assert table["imported/my_files/props/odds/event_odds_mem_tor.json"] == [
        "odds_api_event_odds_json",
        "9",
        "4",
        "0",
        "2",
    ]
    assert "2 team not an NBA team" not in out and "1 team not an NBA team: Memphis Hustle, Raptors 905" in out
    assert "NOT IMPORTED notes.csv: no known shape; columns: city, temperature_c" in out
    assert "NOT IMPORTED drifted.csv: does not parse:" in out and "['PTS']" in out
    assert "NOT IMPORTED readme.txt: not a CSV(.gz) or JSON(.gz) file" in out
    assert not list(archive.glob(".import-*"))  # the staging folder is gone


def test_import_of_conflicting_rows_copies_nothing(tmp_path, capsys):
    archive = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    before = files(archive)
    src = tmp_path / "rescrape"
    src.mkdir()
    box = read_text(archive / BOX_FILE)
    box.assign(REB=(box["REB"].astype(int) + 1).astype(str)).to_csv(src / "box.csv", index=False)
    assert import_folder(src, archive) == 1
    err = capsys.readouterr().err
    assert "nothing imported" in err and f"{BOX_FILE} and imported/rescrape/boxscores/box.csv" in err
    assert files(archive) == before and not (archive / "imported").exists()
