"""One backfill path: a backfill of a date range over the whole graph, launched the way the UI
launches it, is one run that materializes each asset-partition of the range once, in dependency
order, touches nothing outside the range, and leaves the same tables as `make replay`.

The graph-level facts (one partitions definition, identity mappings, the backfill's targets) are
checked on the definitions; the end-to-end test starts `dagster dev` (webserver + daemon, as
`make ui` does) on a copy of a replayed history and sends the UI's `launchPartitionBackfill`.
"""

import json
import os
import shutil
import time
from collections import Counter

import pandas as pd
import pytest
from dagster import AssetKey, DagsterInstance

from nba_assets.definitions import defs
from nba_assets.lib.partitions import daily_partitions
from nba_assets.lib.raw_tables import RAW_SCHEMA, RAW_TABLES
from tests.conftest import Pipeline, write_archive_slice

HISTORY = ("2025-10-21", "2025-10-28")
# Wednesday to Tuesday: the model of the week of 2025-10-27 exists (fitted by the history, kept), the
# week of 2025-11-03 is fitted inside the run on features the same run builds first.
WINDOW = ("2025-10-29", "2025-11-04")
DATES = [d.strftime("%Y-%m-%d") for d in pd.date_range(*WINDOW)]

TABLES = [
    *[(RAW_SCHEMA, raw.name, list(raw.key)) for raw in RAW_TABLES],  # keys: the raw contract
    ("nba_analytics", "player_game_summary", ["game_date", "player_lookup"]),
    ("nba_analytics", "team_game_summary", ["game_id", "team_abbr"]),
    ("nba_analytics", "market_lines_consensus", ["game_date", "player_lookup", "market"]),
    # Best bets are empty on the archive (no system's record earns a pick); the gate says why, per date.
    ("nba_predictions", "best_bets_gate", ["game_date", "system_id", "market"]),
    ("nba_predictions", "market_prop_predictions", ["game_date", "player_lookup", "system_id", "market"]),
    ("nba_grading", "market_prop_accuracy", ["game_date", "player_lookup", "system_id", "market"]),
    ("nba_features", "player_market_features", ["game_date", "player_lookup", "market"]),
    ("nba_grading", "grading_coverage_daily", ["game_date", "market"]),
]


def materializable_keys(asset_graph) -> list[AssetKey]:
    return [key for key in asset_graph.get_all_asset_keys() if asset_graph.get(key).is_materializable]


def test_every_asset_shares_the_daily_partitions_and_every_dependency_is_date_to_same_date():
    graph = defs.resolve_asset_graph()
    for key in materializable_keys(graph):
        node = graph.get(key)
        assert node.partitions_def == daily_partitions, key
        for parent in node.parent_keys:
            if graph.get(parent).is_materializable:
                mapping = graph.get_partition_mapping(key, parent)
                downstream = mapping.get_downstream_partitions_for_partitions(
                    daily_partitions.subset_with_partition_keys(["2025-11-24"]), daily_partitions, daily_partitions
                )
                assert downstream.get_partition_keys() == ["2025-11-24"], (parent, key, mapping)


def test_a_backfill_of_seven_dates_targets_those_dates_only():
    """What the UI's launchPartitionBackfill builds for Materialize all over 7 dates (Dagster walks
    downstream from the range's roots through the partition mappings)."""
    from dagster._core.execution.backfill import PartitionBackfill

    graph = defs.resolve_asset_graph()
    keys = materializable_keys(graph)
    dates = [f"2025-11-{day}" for day in range(24, 31)]
    backfill = PartitionBackfill.from_asset_partitions(
        backfill_id="test",
        asset_graph=graph,
        partition_names=dates,
        asset_selection=keys,
        backfill_timestamp=time.time(),
        tags={},
        dynamic_partitions_store=DagsterInstance.ephemeral(),
        all_partitions=False,
        title=None,
        description=None,
        run_config=None,
    )
    target = backfill.asset_backfill_data.target_subset
    assert set(target.asset_keys) == set(keys)
    for key in keys:
        assert sorted(target.get_partitions_subset(key).get_partition_keys()) == dates, key


# --- end to end: dagster dev, the UI's mutation, the daemon --------------------------------------


def copy_folder(source, target):
    shutil.copytree(source / "data", target / "data")
    shutil.copy(source / "warehouse.duckdb", target / "warehouse.duckdb")


@pytest.fixture(scope="module")
def ui_and_replay(tmp_path_factory):
    """A replayed history copied twice: the window replayed (`make replay`'s run) on one copy, and
    backfilled through `dagster dev` and the UI's GraphQL mutation on the other."""
    from benchmarks.ui_backfill import dagster_dev

    root = tmp_path_factory.mktemp("ui_backfill")
    archive = write_archive_slice(root / "archive", HISTORY[0], WINDOW[1])
    history = Pipeline(root / "history", archive)
    assert all(result.success for result in history.replay(*HISTORY))
    for name in ("replay", "ui"):
        copy_folder(root / "history", root / name)

    replay = Pipeline(root / "replay", archive)
    replay.results = replay.replay(*WINDOW)
    assert all(result.success for result in replay.results)

    home = root / "ui" / "dagster_home"
    home.mkdir()
    from nba_assets.lib.instance_config import write_instance_config

    write_instance_config(home)
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "NBA_DATA_DIR": str(root / "ui" / "data"),
        "NBA_DUCKDB_PATH": str(root / "ui" / "warehouse.duckdb"),
        "NBA_REPLAY_ARCHIVE": str(archive),
    }
    env.pop("NBA_REPLAY_NOW", None)
    with dagster_dev(env, root / "dagster_dev.log") as server:
        backfill = server.backfill(*WINDOW)
    ui = Pipeline(root / "ui", archive)
    ui.backfill = backfill
    ui.home = home
    return replay, ui


def ui_instance(ui, monkeypatch):
    monkeypatch.setenv("DAGSTER_HOME", str(ui.home))  # the project's storage config reads it
    return DagsterInstance.from_config(str(ui.home))


def test_the_ui_backfill_is_one_successful_run(ui_and_replay, monkeypatch):
    _, ui = ui_and_replay
    assert ui.backfill["status"] == "COMPLETED_SUCCESS", ui.backfill
    assert len(ui.backfill["runs"]) == 1 and ui.backfill["runs"][0]["status"] == "SUCCESS"
    instance = ui_instance(ui, monkeypatch)
    [run] = instance.get_runs()
    assert run.run_id == ui.backfill["runs"][0]["runId"]
    assert (run.tags["dagster/asset_partition_range_start"], run.tags["dagster/asset_partition_range_end"]) == WINDOW


def test_every_asset_partition_once_in_the_window_and_nothing_else(ui_and_replay, monkeypatch):
    _, ui = ui_and_replay
    instance = ui_instance(ui, monkeypatch)
    graph = defs.resolve_asset_graph()
    for key in materializable_keys(graph):
        records = instance.fetch_materializations(key, limit=1000).records
        assert Counter(r.partition_key for r in records) == Counter(DATES), key
    # The models the dates use: the history's week kept, the window's new week fitted; none later.
    models = sorted(p.name for p in (ui.root / "data" / "models" / "market_models").glob("*.pkl"))
    assert models == ["2025-10-27.pkl", "2025-11-03.pkl"]


def test_steps_ran_in_dependency_order(ui_and_replay, monkeypatch):
    """Every asset's first materialization comes after the last of each of its parents (no
    prediction before its model, no model before the features of the run)."""
    _, ui = ui_and_replay
    instance = ui_instance(ui, monkeypatch)
    graph = defs.resolve_asset_graph()
    order = {}
    for key in materializable_keys(graph):
        ids = [r.storage_id for r in instance.fetch_materializations(key, limit=1000).records]
        order[key] = (min(ids), max(ids))
    for key in order:
        for parent in graph.get(key).parent_keys:
            if parent in order:
                assert order[parent][1] < order[key][0], f"{key.to_user_string()} before {parent.to_user_string()}"
    assert order[AssetKey("market_models")][1] < order[AssetKey("market_prop_predictions")][0]


def normalized(pipeline, schema: str, name: str, key: list[str]) -> pd.DataFrame:
    frame = pipeline.query(
        f"SELECT * FROM {schema}.{name} WHERE game_date BETWEEN ? AND ?",
        [pd.Timestamp(WINDOW[0]).date(), pd.Timestamp(WINDOW[1]).date()],
    )
    return frame.sort_values(key).reset_index(drop=True)


@pytest.mark.parametrize("schema,name,key", TABLES, ids=[f"{s}.{t}" for s, t, _ in TABLES])
def test_tables_equal_the_replays(ui_and_replay, schema, name, key):
    replay, ui = ui_and_replay
    expected = normalized(replay, schema, name, key)
    assert len(expected) > 0
    pd.testing.assert_frame_equal(normalized(ui, schema, name, key), expected)


def test_exports_and_models_equal_the_replays(ui_and_replay):
    replay, ui = ui_and_replay
    keys = [f"v1/{kind}/{day}.json" for kind in ("predictions", "best-bets", "results") for day in DATES]
    keys += [
        "v1/systems/performance.json",
        f"backtest/markets/{WINDOW[1]}.json",
        "models/market_models/2025-11-03.json",
        "models/market_models/2025-10-27.json",
    ]
    for key in keys:
        assert json.loads((ui.root / "data" / key).read_bytes()) == json.loads(
            (replay.root / "data" / key).read_bytes()
        ), key
