"""One contract for both warehouses: DuckDB and BigQuery (on the local-bigquery emulator, the real
google-cloud-bigquery client through dagster-gcp's BigQueryResource). replace_window replaces
exactly the window, atomically and idempotently; query takes `?` parameters; relation and
table_exists honour the dataset prefix."""

import datetime as dt
import uuid

import pandas as pd
import pytest

from resources.warehouse.bigquery_warehouse import BigQueryWarehouse
from resources.warehouse.duckdb_warehouse import DuckDBWarehouse
from tests.emulators import PROJECT

TYPES = {
    "game_date": "DATE",
    "player_lookup": "VARCHAR",
    "points": "INTEGER",
    "minutes": "DOUBLE",
    "played": "BOOLEAN",
    "snapshot_time": "TIMESTAMPTZ",
}
NOV_2, NOV_3, NOV_4, NOV_5 = (dt.date(2025, 11, d) for d in (2, 3, 4, 5))


def frame(*rows) -> pd.DataFrame:
    """(date, player, points, minutes, played) rows."""
    return pd.DataFrame(
        {
            "game_date": pd.to_datetime([r[0] for r in rows]),
            "player_lookup": [r[1] for r in rows],
            "points": pd.array([r[2] for r in rows], dtype="Int64"),
            "minutes": [r[3] for r in rows],
            "played": [r[4] for r in rows],
            "snapshot_time": pd.to_datetime(["2025-11-01 18:00:00"] * len(rows), utc=True),
        }
    )


@pytest.fixture(params=["duckdb", "bigquery"])
def warehouse(request, tmp_path):
    prefix = f"t{uuid.uuid4().hex[:8]}_"  # tests share the emulator
    if request.param == "duckdb":
        return DuckDBWarehouse(database=str(tmp_path / "w.duckdb"), dataset_prefix=prefix)
    request.getfixturevalue("bigquery_emulator")
    return BigQueryWarehouse(project=PROJECT, location="US", dataset_prefix=prefix)


def rows_of(warehouse, table="box") -> pd.DataFrame:
    return warehouse.query(
        f"SELECT game_date, player_lookup, points, minutes, played FROM {warehouse.relation('nba_raw', table)} "
        "ORDER BY game_date, player_lookup"
    )


def test_replace_window_writes_reads_and_replaces_exactly_the_window(warehouse):
    assert not warehouse.table_exists("nba_raw", "box")
    written = warehouse.replace_window(
        "nba_raw",
        "box",
        frame(
            ("2025-11-02", "a", 10, 30.5, True),
            ("2025-11-02", "b", None, 0.0, False),
            ("2025-11-03", "a", 3, None, True),
            ("2025-11-04", "c", 7, 12.0, True),
        ),
        TYPES,
        NOV_2,
        NOV_5,
    )
    assert written == 4
    assert warehouse.table_exists("nba_raw", "box")
    assert not warehouse.table_exists("nba_raw", "other")
    first = rows_of(warehouse)
    assert [d.strftime("%Y-%m-%d") for d in first["game_date"]] == [
        "2025-11-02",
        "2025-11-02",
        "2025-11-03",
        "2025-11-04",
    ]
    assert first["player_lookup"].tolist() == ["a", "b", "a", "c"]
    assert first["points"].tolist()[0] == 10 and pd.isna(first["points"].tolist()[1])
    assert first["minutes"].tolist()[0] == 30.5 and pd.isna(first["minutes"].tolist()[2])
    assert first["played"].tolist() == [True, False, True, True]

    # Re-running 11-03 with new rows: 11-03's old row is gone (even though "a" is not in the new
    # rows), 11-02 and 11-04 are untouched.
    warehouse.replace_window("nba_raw", "box", frame(("2025-11-03", "d", 21, 33.0, True)), TYPES, NOV_3, NOV_4)
    second = rows_of(warehouse)
    assert list(zip(second["game_date"].dt.strftime("%Y-%m-%d"), second["player_lookup"])) == [
        ("2025-11-02", "a"),
        ("2025-11-02", "b"),
        ("2025-11-03", "d"),
        ("2025-11-04", "c"),
    ]

    # The same window again changes nothing (idempotent); an empty window empties it.
    warehouse.replace_window("nba_raw", "box", frame(("2025-11-03", "d", 21, 33.0, True)), TYPES, NOV_3, NOV_4)
    pd.testing.assert_frame_equal(rows_of(warehouse), second)
    warehouse.replace_window("nba_raw", "box", frame(), TYPES, NOV_4, NOV_5)
    assert rows_of(warehouse)["player_lookup"].tolist() == ["a", "b", "d"]


def test_a_failed_load_keeps_the_window(warehouse):
    warehouse.replace_window("nba_raw", "box", frame(("2025-11-02", "a", 10, 30.5, True)), TYPES, NOV_2, NOV_3)
    bad = frame(("2025-11-02", "z", 1, 1.0, True)).astype({"points": object})
    bad.loc[0, "points"] = "eleven"  # not an integer: the load fails
    with pytest.raises(Exception, match="eleven"):  # the error shows the value
        warehouse.replace_window("nba_raw", "box", bad, TYPES, NOV_2, NOV_3)
    assert rows_of(warehouse)["player_lookup"].tolist() == ["a"]


def test_a_table_of_an_earlier_version_gains_the_new_columns(warehouse):
    """An asset that added a column writes into the table an earlier version created: the column is
    added, the earlier rows keep their values with a null there, the window is replaced."""
    older = {name: sql_type for name, sql_type in TYPES.items() if name != "minutes"}
    first = frame(("2025-11-02", "a", 10, 30.5, True), ("2025-11-03", "b", 7, 20.0, True))
    warehouse.replace_window("nba_raw", "box", first.drop(columns=["minutes"]), older, NOV_2, NOV_4)
    warehouse.replace_window("nba_raw", "box", frame(("2025-11-03", "c", 9, 25.0, False)), TYPES, NOV_3, NOV_4)
    rows = rows_of(warehouse)
    assert rows["player_lookup"].tolist() == ["a", "c"]
    assert rows["points"].tolist() == [10, 9]
    assert pd.isna(rows["minutes"].iloc[0]) and rows["minutes"].iloc[1] == 25.0


def test_only_matching_replaces_only_the_snapshots_served_again(warehouse):
    types = {"game_date": "DATE", "snapshot_file": "VARCHAR", "line": "DOUBLE"}

    def lines(*rows):
        return pd.DataFrame(
            {
                "game_date": pd.to_datetime([r[0] for r in rows]),
                "snapshot_file": [r[1] for r in rows],
                "line": [r[2] for r in rows],
            }
        )

    warehouse.replace_window(
        "nba_raw",
        "lines",
        lines(("2025-11-02", "s1", 20.5), ("2025-11-02", "s2", 21.5), ("2025-11-03", "s9", 9.5)),
        types,
        NOV_2,
        NOV_4,
    )
    # A later fetch serves s2 again (changed) and a new s3, no longer s1: s1 survives.
    warehouse.replace_window(
        "nba_raw",
        "lines",
        lines(("2025-11-02", "s2", 22.5), ("2025-11-02", "s3", 23.5)),
        types,
        NOV_2,
        NOV_3,
        only_matching="snapshot_file",
    )
    found = warehouse.query(
        f"SELECT snapshot_file, line FROM {warehouse.relation('nba_raw', 'lines')} ORDER BY snapshot_file"
    )
    assert list(zip(found["snapshot_file"], found["line"])) == [("s1", 20.5), ("s2", 22.5), ("s3", 23.5), ("s9", 9.5)]


def test_query_parameters_and_timestamps(warehouse):
    warehouse.replace_window(
        "nba_raw",
        "box",
        frame(("2025-11-02", "a", 10, 30.5, True), ("2025-11-03", "b", 12, 20.0, True)),
        TYPES,
        NOV_2,
        NOV_4,
    )
    found = warehouse.query(
        f"SELECT player_lookup, points, snapshot_time FROM {warehouse.relation('nba_raw', 'box')} "
        "WHERE game_date >= ? AND game_date < ? AND player_lookup = ? AND points > ? AND minutes > ? AND played = ?",
        [NOV_2, NOV_4, "b", 11, 19.5, True],
    )
    assert found["player_lookup"].tolist() == ["b"] and found["points"].tolist() == [12]
    assert pd.Timestamp(found["snapshot_time"].iloc[0]).tz_convert("UTC") == pd.Timestamp("2025-11-01 18:00", tz="UTC")


def test_relation_carries_the_prefix(warehouse):
    relation = warehouse.relation("nba_raw", "box")
    assert f"{warehouse.dataset_prefix}nba_raw" in relation and relation.rstrip("`").endswith("box")


def test_bigquery_tables_are_partitioned_and_clustered_and_leave_no_staging(bigquery_emulator):
    warehouse = BigQueryWarehouse(project=PROJECT, location="US", dataset_prefix=f"t{uuid.uuid4().hex[:8]}_")
    warehouse.replace_window("nba_raw", "box", frame(("2025-11-02", "a", 10, 30.5, True)), TYPES, NOV_2, NOV_3)
    no_player = {"game_date": "DATE", "gradable": "INTEGER"}
    warehouse.replace_window(
        "nba_grading",
        "daily",
        pd.DataFrame({"game_date": pd.to_datetime(["2025-11-02"]), "gradable": [3]}),
        no_player,
        NOV_2,
        NOV_3,
    )
    with warehouse.get_client() as client:
        box = client.get_table(f"{PROJECT}.{warehouse.dataset('nba_raw')}.box")
        daily = client.get_table(f"{PROJECT}.{warehouse.dataset('nba_grading')}.daily")
        tables = [t.table_id for t in client.list_tables(f"{PROJECT}.{warehouse.dataset('nba_raw')}")]
    assert (box.time_partitioning.type_, box.time_partitioning.field) == ("DAY", "game_date")
    assert box.clustering_fields == ["player_lookup"]
    assert daily.time_partitioning.field == "game_date" and daily.clustering_fields is None
    assert tables == ["box"]  # the staging table is dropped


def test_bigquery_refuses_rows_outside_the_window(bigquery_emulator):
    warehouse = BigQueryWarehouse(project=PROJECT, location="US", dataset_prefix=f"t{uuid.uuid4().hex[:8]}_")
    with pytest.raises(ValueError, match=r"1 rows are dated outside the window 2025-11-02\.\.2025-11-03"):
        warehouse.replace_window(
            "nba_raw",
            "box",
            frame(("2025-11-02", "a", 1, 1.0, True), ("2025-11-04", "b", 2, 2.0, True)),
            TYPES,
            NOV_2,
            NOV_3,
        )


def test_a_session_shares_one_opening_and_releases_the_file(tmp_path):
    import duckdb

    from resources.warehouse import duckdb_warehouse

    warehouse = DuckDBWarehouse(database=str(tmp_path / "w.duckdb"))
    rows = pd.DataFrame({"game_date": [dt.date(2025, 1, 2)], "n": [1]})
    with warehouse.session():
        with warehouse.session():  # nested: the outer one keeps the file open
            warehouse.replace_window(
                "s", "t", rows, {"game_date": "DATE", "n": "INTEGER"}, dt.date(2025, 1, 1), dt.date(2025, 1, 3)
            )
        assert str(tmp_path / "w.duckdb") in duckdb_warehouse._SESSIONS
        assert warehouse.query("SELECT n FROM s.t")["n"].tolist() == [1]
        assert warehouse.table_exists("s", "t")
    assert not duckdb_warehouse._SESSIONS
    # Closed: the file opens again with another configuration (as dbt opens it).
    duckdb.connect(str(tmp_path / "w.duckdb"), config={"threads": 1}).close()
