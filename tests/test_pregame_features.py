"""The feature store is a pre-game table: a date's rows are the same whether the date is built before
its box scores land (the live 12:45 run) or after (a replay, a backfill, a late game healed). Built
on a copy of the replayed warehouse: the date's features without its box scores, then with them and
two planted rows a pre-game run cannot know (a player without a line or an earlier game, and a
traded player listed with his new team)."""

import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd

from tests.conftest import ROOT

DATE = dt.date(2025, 11, 4)  # the last date of the replayed window
ROOKIE = "plantedrookie"


def build(database: Path, *models: str) -> None:
    """`dbt run` of `models` over DATE's window on `database`, as the pipeline's dbt step does."""
    env = dict(
        os.environ,
        NBA_DUCKDB_PATH=str(database),
        NBA_WINDOW_START=DATE.isoformat(),
        NBA_WINDOW_END=(DATE + dt.timedelta(days=1)).isoformat(),
    )
    run = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "run", "--select", *models, "--profiles-dir", "."],
        cwd=ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout[-4000:]


def query(database: Path, sql: str, params=None) -> pd.DataFrame:
    with duckdb.connect(str(database)) as connection:
        return connection.execute(sql, params or []).df()


def on_date(database: Path, table: str) -> pd.DataFrame:
    return query(database, f"SELECT * FROM {table} WHERE game_date = ?", [DATE])


def features(database: Path) -> pd.DataFrame:
    frame = on_date(database, "nba_features.player_market_features")
    return frame.sort_values(["player_lookup", "market"]).reset_index(drop=True)


def execute(database: Path, *statements: str) -> None:
    with duckdb.connect(str(database)) as connection:
        for statement in statements:
            connection.execute(statement, [DATE] if "?" in statement else [])


def test_a_dates_features_are_the_same_before_and_after_its_box_scores(replayed, tmp_path):
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(replayed.duckdb_path, database)
    wal = Path(f"{replayed.duckdb_path}.wal")
    if wal.exists():
        shutil.copy(wal, f"{database}.wal")
    replayed_rows = features(database)  # built by the replay, in the same run as the box scores
    assert len(replayed_rows) > 1000

    # A traded player: one of the date's players with a line, history, a team that plays and a
    # box-score row; that box score will list him with a team of another game.
    games = on_date(database, "nba_raw.schedule")
    assert len(games) >= 2
    listed = set(on_date(database, "nba_raw.player_boxscores")["player_lookup"])
    lined = replayed_rows[
        replayed_rows["has_line"] & replayed_rows["team_abbr"].notna() & replayed_rows["player_lookup"].isin(listed)
    ]
    traded = lined.sort_values("player_lookup").iloc[0]
    other = games[(games["home_team_abbr"] != traded["team_abbr"]) & (games["away_team_abbr"] != traded["team_abbr"])]
    new_game, new_team, new_opponent = other.iloc[0][["game_id", "home_team_abbr", "away_team_abbr"]]

    # Before: the date's box scores not in yet (the live run at 12:45).
    execute(
        database,
        "CREATE TABLE saved AS SELECT * FROM nba_raw.player_boxscores WHERE game_date = ?",
        "DELETE FROM nba_raw.player_boxscores WHERE game_date = ?",
    )
    build(database, "player_game_summary", "player_market_features")
    assert on_date(database, "nba_analytics.player_game_summary").empty
    before = features(database)

    # After: the box scores land, with the traded player on his new team and a player nobody
    # expected (no line, no earlier game) who played 30 minutes.
    execute(
        database,
        "INSERT INTO nba_raw.player_boxscores SELECT * FROM saved",
        f"UPDATE nba_raw.player_boxscores SET game_id = '{new_game}', team_abbr = '{new_team}', "
        f"opponent_abbr = '{new_opponent}', home_away = 'HOME' "
        f"WHERE game_date = ? AND player_lookup = '{traded['player_lookup']}'",
        f"INSERT INTO nba_raw.player_boxscores BY NAME SELECT game_date, game_id, 999999901 AS player_id, "
        f"'Planted Rookie' AS player_name, '{ROOKIE}' AS player_lookup, team_abbr, opponent_abbr, home_away, "
        "30.0 AS minutes, 20 AS points, 5 AS rebounds, 5 AS assists, 1 AS steals, 1 AS blocks, 2 AS turnovers, "
        "8 AS fgm, 15 AS fga, 2 AS fg3m, 5 AS fg3a, 2 AS ftm, 2 AS fta, source_file "
        "FROM nba_raw.player_boxscores WHERE game_date = ? ORDER BY game_id, player_id LIMIT 1",
    )
    build(database, "player_game_summary", "player_market_features")
    summary = on_date(database, "nba_analytics.player_game_summary").set_index("player_lookup")["team_abbr"]
    assert summary[traded["player_lookup"]] == new_team and ROOKIE in summary.index  # the plants landed
    after = features(database)

    pd.testing.assert_frame_equal(after, before)
    pd.testing.assert_frame_equal(after, replayed_rows)
    assert ROOKIE not in set(after["player_lookup"])
    moved = after[after["player_lookup"] == traded["player_lookup"]]
    assert len(moved) > 0 and set(moved["team_abbr"]) == {traded["team_abbr"]}
    assert (after["last_feature_game_date"].dropna() < pd.Timestamp(DATE)).all()  # the leakage rule holds
