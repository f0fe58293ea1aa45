"""Bring your own data, end to end: a folder mixing the archive's files, an Odds API export passed
through json_normalize, an API-NBA box-score response, an exact copy of a props file and one
unrelated CSV replays; every file is accounted for in the console and in the raw assets' metadata,
the copy's rows count as duplicates, the unrelated file is listed (and the archive_files check
WARNs), and the lines of the new shapes are graded."""

import json
import os
import re
import shutil
from pathlib import Path

import pandas as pd
from dagster import AssetKey, DagsterEventType

from tests.conftest import ARCHIVE, BOX_FILE, PROPS_FILE, Pipeline, read_text, write_archive_slice
from tests.test_replay_report import replay_cli

FIRST, DATE = "2025-10-31", "2025-11-02"  # MEM and TOR played on 2025-10-31: history
MEM_TOR = "0022500152"  # Memphis Grizzlies @ Toronto Raptors, 2025-11-02
TEAMS = {"MEM": "Memphis Grizzlies", "TOR": "Toronto Raptors"}


def api_nba_response(box: pd.DataFrame) -> dict:
    """NBA.com's rows of one game as API-NBA's /players/statistics?game=... returns them (its own
    player and game ids, names split, `totReb`, `tpm`, minutes as "MM:SS")."""
    rows = []
    for i, r in enumerate(box.itertuples()):
        first, _, last = r.PLAYER_NAME.partition(" ")
        value = lambda v: None if pd.isna(v) else int(float(v))  # noqa: E731
        rows.append(
            {
                "player": {"id": 5000 + i, "firstname": first, "lastname": last},
                "team": {"id": 1, "name": TEAMS[r.TEAM_ABBREVIATION], "code": r.TEAM_ABBREVIATION},
                "game": {"id": 14158},
                "points": value(r.PTS),
                "min": f"{int(r.MIN)}:00",
                "totReb": value(r.REB),
                "assists": value(r.AST),
                "steals": value(r.STL),
                "blocks": value(r.BLK),
                "turnovers": value(r.TOV),
                "tpm": value(r.FG3M),
                "tpa": value(r.FG3A),
                "ftm": value(r.FTM),
                "fta": value(r.FTA),
                "comment": None,
            }
        )
    return {"get": "players/statistics", "parameters": {"game": "14158"}, "errors": [], "response": rows}


def json_normalized_odds(props: pd.DataFrame) -> pd.DataFrame:
    """The archive's lines of one event as The Odds API's event-odds response flattened by
    json_normalize: one row per Over/Under outcome."""
    sides = []
    for side, price in (("Over", "over_odds"), ("Under", "under_odds")):
        part = props[props[price].notna()]
        sides.append(
            pd.DataFrame(
                {
                    "outcomes_name": side,
                    "outcomes_description": part["player"],
                    "outcomes_price": part[price].str.replace(".0", "", regex=False),
                    "outcomes_point": part["line"],
                    "id": part["event_id"],
                    "sport_key": "basketball_nba",
                    "commence_time": part["game_time"],
                    "home_team": "Toronto Raptors",
                    "away_team": "Memphis Grizzlies",
                    "bookmakers.key": part["bookmaker"],
                    "bookmakers.title": part["bookmaker"].str.title(),
                    "bookmakers.last_update": "2025-11-02T17:00:00Z",
                    "bookmakers.markets.key": part["market"],
                    "bookmakers.markets.last_update": "2025-11-02T17:00:00Z",
                }
            )
        )
    return pd.concat(sides, ignore_index=True)


def test_a_mixed_folder_replays_with_every_file_accounted_for(tmp_path, capsys):
    archive = write_archive_slice(tmp_path / "archive", FIRST, DATE)
    (archive / "static").mkdir()
    shutil.copy(ARCHIVE / "static" / "players.csv.gz", archive / "static")
    # MEM @ TOR's box scores from API-NBA instead of NBA.com's logs.
    box = read_text(archive / BOX_FILE)
    game = box["GAME_ID"].str.zfill(10) == MEM_TOR
    box[~game].to_csv(archive / BOX_FILE, index=False)
    api_nba = archive / "mine" / "api_nba_players_statistics_2025-11-02.json"
    api_nba.parent.mkdir()
    api_nba.write_text(json.dumps(api_nba_response(box[game])))
    # MEM @ TOR's lines from a json_normalize'd Odds API export instead of the archive's snapshot.
    props = read_text(archive / PROPS_FILE)
    event = props["game"] == "Memphis Grizzlies @ Toronto Raptors"
    props[~event].to_csv(archive / PROPS_FILE, index=False)
    json_normalized_odds(props[event]).to_csv(archive / "mine" / "odds_mem_tor_normalized.csv", index=False)
    # A re-downloaded copy of the props file (the later file) and a file of no known shape.
    shutil.copy(archive / PROPS_FILE, archive / "props" / "props_copy.csv.gz")
    later = os.stat(archive / PROPS_FILE).st_mtime + 60
    os.utime(archive / "props" / "props_copy.csv.gz", (later, later))
    pd.DataFrame({"city": ["Toronto"], "temperature_c": ["4"], "wind_kph": ["20"]}).to_csv(
        archive / "mine" / "weather.csv", index=False
    )

    pipeline = Pipeline(tmp_path, archive)
    assert replay_cli(pipeline, FIRST, DATE) == 0
    out, err = capsys.readouterr()
    assert "FutureWarning" not in out + err and "Traceback" not in out + err
    # dbt's log (re-emitted by dagster-dbt on stdout) is in the run's log file, not on the console.
    assert "Running with dbt=" not in out and re.search(r"\[replay\] (\d+)/\1 steps", out)
    (log_path,) = re.findall(r"its log: (\S+\.log)", out)
    assert "Running with dbt=" in Path(log_path).read_text() and "Completed successfully" in Path(log_path).read_text()

    # The console: every file on a line of its own with its shape and counts.
    console = {line.split()[0]: line.split() for line in out.splitlines() if line.split() and "/" in line.split()[0]}
    copied = int((~event).sum())  # every row of the copy: a duplicate of the original's
    assert console["props/props_copy.csv.gz"][1:] == ["odds_api_snapshot", str(copied), "0", "0", str(copied), "0"]
    assert console["mine/api_nba_players_statistics_2025-11-02.json"][1:] == [
        "api_nba_player_statistics_json",
        str(game.sum()),
        str(game.sum()),
        str(game.sum()),
        "0",
        "0",
    ]
    # The archive's Yes/No markets (double doubles) hold no Over/Under price: the export has no outcome.
    priced = int(props[event][["over_odds", "under_odds"]].notna().any(axis=1).sum())
    normalized = console["mine/odds_mem_tor_normalized.csv"]
    assert normalized[1] == "odds_api_json_normalized" and int(normalized[3]) == priced > 100
    assert console["mine/weather.csv"][1] == "UNKNOWN"
    assert "no known shape; columns: city, temperature_c, wind_kph; nearest shape" in out
    assert "WARNING: 1 file(s) of no known shape were not read: mine/weather.csv" in out

    # The UI: the raw assets' metadata and the archive_files check.
    instance = pipeline.instance
    lines_meta = instance.get_latest_materialization_event(AssetKey("raw_prop_lines")).asset_materialization.metadata
    assert lines_meta["files_duplicates_dropped"].value == copied
    assert "| props/props_copy.csv.gz | odds_api_snapshot |" in lines_meta["files"].value
    assert "mine/weather.csv" in lines_meta["files_unknown"].value
    box_meta = instance.get_latest_materialization_event(
        AssetKey("raw_player_boxscores")
    ).asset_materialization.metadata
    assert "| mine/api_nba_players_statistics_2025-11-02.json | api_nba_player_statistics_json |" in (
        box_meta["files"].value
    )
    run_id = instance.get_runs()[0].run_id
    checks = [
        e.dagster_event.event_specific_data
        for e in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
    ]
    files_check = next(c for c in checks if c.check_name == "archive_files")
    assert not files_check.passed and files_check.severity.value == "WARN"
    assert "mine/weather.csv" in files_check.description and "temperature_c" in files_check.description

    # The new shapes' rows loaded, and MEM @ TOR's lines graded against the API-NBA box scores.
    loaded = pipeline.query(
        "SELECT source_file, count(*) AS n FROM nba_raw.prop_lines WHERE source_file LIKE 'mine/%' GROUP BY ALL "
        "UNION ALL SELECT source_file, count(*) FROM nba_raw.player_boxscores WHERE source_file LIKE 'mine/%' "
        "GROUP BY ALL"
    ).set_index("source_file")["n"]
    assert loaded["mine/api_nba_players_statistics_2025-11-02.json"] == game.sum()
    assert loaded["mine/odds_mem_tor_normalized.csv"] == priced
    # Graded against the API-NBA box scores: every lined row has its side (a short history prices no
    # pick, so results are PASS; the line's outcome is what the box score decides).
    graded = pipeline.query(
        "SELECT line_outcome, result, count(*) AS n FROM nba_grading.market_prop_accuracy "
        f"WHERE game_date = DATE '{DATE}' AND team_abbr IN ('MEM', 'TOR') AND line IS NOT NULL "
        "AND player_outcome = 'PLAYED' GROUP BY ALL"
    )
    assert graded["n"].sum() > 0 and "PENDING" not in set(graded["result"])
    assert set(graded["line_outcome"]) <= {"OVER", "UNDER", "PUSH"} and graded["line_outcome"].notna().all()
