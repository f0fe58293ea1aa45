"""The production path, end to end, on the emulators: the production resources (BigQueryWarehouse,
GCSObjectStore, dbt's bigquery target) with a test dataset prefix and the replay source replay
the same archive slice as the DuckDB `replayed` fixture, through every phase (raw, dbt analytics
and features, points model, predictions, best bets, dbt grading, exports, backtest), and
every table and export must equal DuckDB's, value for value. Re-running a date changes nothing.
Finally `NBA_ENV=prod` alone (plus the settings it reads) points the code location at BigQuery/GCS.
"""

import json
import os
import re
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

from nba_assets.lib.environment import environ
from nba_assets.lib.raw_tables import RAW_SCHEMA, RAW_TABLES
from tests.conftest import ROOT, Pipeline, write_archive_slice
from tests.emulators import BUCKET, PROJECT, recording_proxy

FIRST, LAST = "2025-10-21", "2025-11-04"  # the DuckDB fixture's dates
PREFIX = "test_"

# (schema, table, key): every table of the graph, compared over FIRST..LAST.
TABLES = [
    *[(RAW_SCHEMA, raw.name, list(raw.key)) for raw in RAW_TABLES],  # keys: the raw contract
    ("nba_analytics", "player_game_summary", ["game_date", "player_lookup"]),
    ("nba_analytics", "team_game_summary", ["game_id", "team_abbr"]),
    ("nba_analytics", "market_lines_consensus", ["game_date", "player_lookup", "market"]),
    ("nba_analytics", "market_book_quotes", ["game_date", "player_lookup", "market", "bookmaker", "line"]),
    ("nba_features", "player_market_features", ["game_date", "player_lookup", "market"]),
    ("nba_predictions", "market_prop_predictions", ["game_date", "player_lookup", "market", "system_id"]),
    ("nba_predictions", "best_bets", ["game_date", "rank"]),
    ("nba_predictions", "best_bets_gate", ["game_date", "system_id", "market"]),
    ("nba_grading", "market_prop_accuracy", ["game_date", "player_lookup", "market", "system_id"]),
    ("nba_grading", "grading_coverage_daily", ["game_date", "market"]),
]


@pytest.fixture(scope="module")
def on_bigquery(bigquery_emulator, gcs_emulator, tmp_path_factory):
    from resources.environments import prod_resources
    from resources.sources.replay.source import ReplaySource

    root = tmp_path_factory.mktemp("on_bigquery")
    archive = write_archive_slice(root / "archive", FIRST, LAST)
    saved = dict(os.environ)
    try:
        resources = prod_resources(
            project=PROJECT,
            bucket=BUCKET,
            dataset_prefix=PREFIX,
            location="US",
            source=ReplaySource(archive_dir=str(archive)),
        )
    finally:  # prod_resources sets process defaults (NBA_DBT_TARGET): keep the DuckDB tests' own
        os.environ.clear()
        os.environ.update(saved)
    pipeline = Pipeline(root, archive, resources=resources)
    # Through a recording proxy: the BigQuery jobs as the clients send them (Python's and dbt's).
    with recording_proxy(bigquery_emulator.url) as (url, recorded), environ(BIGQUERY_EMULATOR_HOST=url):
        pipeline.results = pipeline.replay(FIRST, LAST)
    pipeline.bigquery_jobs = [job for job in (request.job() for request in recorded) if job]
    failures = [
        f"{e.step_key}: {(e.step_failure_data.error.cause or e.step_failure_data.error).message[:2000]}"
        for result in pipeline.results
        for e in result.get_step_failure_events()
    ]
    assert [r.success for r in pipeline.results] == [True], failures  # one run: the whole graph
    return pipeline


def test_every_bigquery_job_carries_labels_and_a_byte_limit(on_bigquery):
    """Every job the run sent, Python's and dbt's, names its asset, the run's window and run id,
    and every query job carries the byte limit (resources/warehouse/job_labels.py)."""
    from resources.warehouse.job_labels import DEFAULT_MAXIMUM_BYTES_BILLED, label_value

    (run,) = on_bigquery.results
    # dbt-bigquery 1.11 loads a seed's CSV with a load job it builds without labels (a load job
    # bills no bytes): the one exception, the 15-row alias seed.
    seed_loads = [job for job in on_bigquery.bigquery_jobs if job["kind"] == "load" and not job["labels"]]
    assert {job["destination"] for job in seed_loads} <= {"player_aliases"}, seed_loads
    jobs = [job for job in on_bigquery.bigquery_jobs if job not in seed_loads]
    expected = {"app": "nba-props", "dagster_partition": "2025-10-21_to_2025-11-04", "dagster_run_id": run.run_id}
    for job in jobs:
        assert {key: job["labels"].get(key) for key in expected} == expected, job
        assert re.fullmatch(r"[a-z0-9_-]{1,63}", job["labels"]["dagster_asset"]), job
        if job["kind"] == "query":
            assert job["maximum_bytes_billed"] == str(DEFAULT_MAXIMUM_BYTES_BILLED), job
    dbt = [job for job in jobs if "dbt_invocation_id" in job["labels"]]
    python = [job for job in jobs if "dbt_invocation_id" not in job["labels"]]
    # dbt's jobs name the model they build; Python's the asset (or check) of their step.
    assert {"player_game_summary", "player_market_features", "market_prop_accuracy"} <= {
        job["labels"]["dagster_asset"] for job in dbt
    }
    assert {label_value("raw_prop_lines"), "market_models"} <= {job["labels"]["dagster_asset"] for job in python}
    assert {job["kind"] for job in python} == {"query", "load"}
    assert len(dbt) > 20 and len(python) > 20
    # A data test's job is labelled with the model it tests.
    assert not any(job["labels"]["dagster_asset"].startswith(("not_null_", "unique_")) for job in dbt)


def table(pipeline, schema: str, name: str, key: list[str]) -> pd.DataFrame:
    """The table's rows of FIRST..LAST, normalized for comparison across warehouses."""
    frame = pipeline.query(
        f"SELECT * FROM {pipeline.warehouse.relation(schema, name)} WHERE game_date BETWEEN ? AND ?",
        [pd.Timestamp(FIRST).date(), pd.Timestamp(LAST).date()],
    )
    for column in frame:
        values = frame[column]
        if isinstance(values.dtype, pd.DatetimeTZDtype):
            frame[column] = values.dt.tz_convert("UTC").dt.tz_localize(None).astype("datetime64[us]")
        elif pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = values.astype("datetime64[us]")
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            frame[column] = values.astype("float64")  # int32/Int64/boolean: one numeric type
        else:
            frame[column] = values.astype(object).where(values.notna(), None)
    return frame.sort_values(key).reset_index(drop=True)


def test_every_phase_ran_and_every_check_passed(on_bigquery):
    evaluations = {e.check_name: e for result in on_bigquery.results for e in result.get_asset_check_evaluations()}
    for name in (
        "completeness",
        "unique_keys",
        "line_match_rate",
        "grading_coverage",
        "market_features_before_game_date",
        "market_training_before_week",
    ):
        assert evaluations[name].passed, (name, evaluations[name].description)
    materialized = {
        e.asset_key.to_user_string() for r in on_bigquery.results for e in r.get_asset_materialization_events()
    }
    assert {
        "raw_prop_lines",
        "player_market_features",
        "market_prop_predictions",
        "market_prop_accuracy",
        "market_models",
        "best_bets",
        "export_results",
        "market_backtest_report",
    } <= materialized


@pytest.mark.parametrize("schema,name,key", TABLES, ids=[f"{s}.{t}" for s, t, _ in TABLES])
def test_table_equals_the_duckdb_run(on_bigquery, replayed, schema, name, key):
    bigquery = table(on_bigquery, schema, name, key)
    duckdb = table(replayed, schema, name, key)
    # best_bets may be empty: on this slice the gate holds back every system (its records are in
    # best_bets_gate, compared too).
    assert len(bigquery) > 0 or name == "best_bets"
    assert sorted(bigquery.columns) == sorted(duckdb.columns)
    pd.testing.assert_frame_equal(bigquery[duckdb.columns], duckdb, check_dtype=False, rtol=1e-9)


def test_known_values_on_bigquery(on_bigquery):
    # The facts test_pipeline checks on DuckDB: SGA 30 points on 11-02 and 11-04 (line 31.5);
    # Jokic 34 points on 11-03 against a consensus of 24.5, graded.
    w = on_bigquery.warehouse
    sga = on_bigquery.query(
        f"SELECT g.game_date, g.points, c.consensus_line FROM {w.relation('nba_analytics', 'player_game_summary')} g "
        f"JOIN {w.relation('nba_analytics', 'market_lines_consensus')} c USING (game_date, player_lookup) "
        "WHERE c.market = 'points' AND g.player_lookup = ? AND g.game_date BETWEEN ? AND ? ORDER BY 1",
        ["shaigilgeousalexander", pd.Timestamp("2025-11-02").date(), pd.Timestamp("2025-11-04").date()],
    )
    assert sga["points"].tolist() == [30, 30] and sga["consensus_line"].tolist() == [31.5, 31.5]
    jokic = on_bigquery.query(
        f"SELECT actual_value, line, result FROM {w.relation('nba_grading', 'market_prop_accuracy')} "
        "WHERE player_lookup = 'nikolajokic' AND game_date = DATE '2025-11-03' AND system_id = 'moving_average_v1' "
        "AND market = 'points'"
    )
    assert jokic["actual_value"].tolist() == [34] and jokic["line"].tolist() == [24.5]
    assert jokic["result"].iloc[0] in ("WIN", "LOSS")


def test_replay_summary_equals_the_duckdb_run(on_bigquery, replayed):
    from nba_assets.cli.replay import format_summary, summary

    first, last = pd.Timestamp(FIRST).date(), pd.Timestamp(LAST).date()
    bigquery, duckdb = summary(on_bigquery.warehouse, first, last), summary(replayed.warehouse, first, last)
    assert len(bigquery) == 15 and int(bigquery["lines"].sum()) > 1000
    assert format_summary(bigquery) == format_summary(duckdb)


def test_operations_queries_equal_the_duckdb_run(on_bigquery, replayed):
    """The health summary's coverage and the late-box-score sensor's query, on both warehouses."""
    from nba_assets.defs.operations.health import coverage_by_date
    from nba_assets.defs.operations.late_data import games_missing_box_scores

    first, last = pd.Timestamp(FIRST).date(), pd.Timestamp(LAST).date()
    bigquery, duckdb = (
        coverage_by_date(on_bigquery.warehouse, first, last),
        coverage_by_date(replayed.warehouse, first, last),
    )
    assert len(bigquery) == 15 and bigquery["final_games"].sum() > 100
    pd.testing.assert_frame_equal(bigquery, duckdb, check_dtype=False)
    assert (
        games_missing_box_scores(on_bigquery.warehouse, first, last)
        == games_missing_box_scores(replayed.warehouse, first, last)
        == {}
    )


def test_objects_in_gcs_equal_the_local_files(on_bigquery, replayed):
    store = on_bigquery.resources["landing"]
    local = replayed.root / "data"
    keys = [f"landing/{source}/2025-11-03.csv.gz" for source in ("schedule", "player_boxscores", "prop_lines")]
    keys += [f"v1/{kind}/2025-11-03.json" for kind in ("predictions", "best-bets", "results")]
    for key in keys:
        assert store.uri(key) == f"gs://{BUCKET}/{PREFIX}{key}"
        if key.endswith(".json"):
            assert json.loads(store.get_bytes(key)) == json.loads((local / key).read_bytes()), key
        else:
            assert store.get_bytes(key) == (local / key).read_bytes(), key
    for week in ("2025-10-27", "2025-11-03"):
        assert store.exists(f"models/market_models/{week}.pkl")
    performance = json.loads(store.get_bytes("v1/systems/performance.json"))
    # Graded dates where every points system predicted, as on DuckDB.
    local_performance = json.loads((local / "v1/systems/performance.json").read_bytes())
    assert performance["graded_dates"] == local_performance["graded_dates"]
    assert performance["graded_dates"]["last"] == LAST and performance["graded_dates"]["count"] > 3
    assert {s["system_id"] for s in performance["systems"]} == {"moving_average_v1", "ml_market_v1"}


def test_bigquery_tables_are_partitioned_by_date_and_clustered(on_bigquery):
    w = on_bigquery.warehouse
    with w.get_client() as client:
        for schema, name, _ in TABLES:
            found = client.get_table(f"{PROJECT}.{PREFIX}{schema}.{name}")
            assert (found.time_partitioning.type_, found.time_partitioning.field) == ("DAY", "game_date"), name
            columns = {field.name for field in found.schema}
            expected = (
                ["player_lookup"]
                if "player_lookup" in columns
                else (["team_abbr"] if name == "team_game_summary" else None)
            )
            assert found.clustering_fields == expected, name
        # Nothing was written outside the prefixed datasets.
        datasets = {d.dataset_id for d in client.list_datasets(PROJECT)}
    assert {f"{PREFIX}{schema}" for schema, _, _ in TABLES} | {f"{PREFIX}nba_reference"} <= datasets
    assert not {"nba_raw", "nba_analytics", "nba_features", "nba_predictions", "nba_grading"} & datasets


def test_rerunning_a_date_on_bigquery_changes_nothing(on_bigquery):
    before = {name: table(on_bigquery, schema, name, key) for schema, name, key in TABLES}
    result = on_bigquery.run("2025-11-03", "2025-11-03")  # the daily pipeline: raw to exports
    assert result.success
    for schema, name, key in TABLES:
        after = table(on_bigquery, schema, name, key)
        pd.testing.assert_frame_equal(after, before[name], check_dtype=False, obj=f"{schema}.{name}")


def test_nba_env_prod_alone_points_the_code_location_at_bigquery_and_gcs(on_bigquery, tmp_path):
    """The code location as `dagster` loads it (nba_assets.definitions), in a fresh process whose
    environment says NBA_ENV=prod and the production settings (here: the emulators' project and
    bucket, another prefix, the replay source): raw_schedule of 2025-11-03 lands in GCS and BigQuery."""
    archive = on_bigquery.resources["nba_source"].archive_dir
    env = {
        **os.environ,
        "NBA_ENV": "prod",
        "NBA_SOURCE": "replay",
        "NBA_REPLAY_ARCHIVE": archive,
        "NBA_GCS_BUCKET": BUCKET,
        "NBA_DATASET_PREFIX": "envtest_",
        "NBA_BIGQUERY_LOCATION": "US",
        "DAGSTER_HOME": str(tmp_path),
    }
    env.pop("NBA_DBT_TARGET", None)
    script = textwrap.dedent("""
        from dagster import AssetKey, DagsterInstance
        from nba_assets.definitions import defs
        print(sorted(type(r).__name__ for r in defs.resources.values()))
        job = defs.resolve_job_def("ingest_and_features")
        result = job.execute_in_process(partition_key="2025-11-03", asset_selection=[AssetKey("raw_schedule")],
                                        instance=DagsterInstance.ephemeral())
        print("success", result.success)
    """)
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert (
        "['AlertChannel', 'BigQueryWarehouse', 'GCSObjectStore', 'ProjectDbtCliResource', 'ReplaySource']" in run.stdout
    )
    assert "success True" in run.stdout, run.stdout[-3000:] + run.stderr[-3000:]
    w = on_bigquery.warehouse
    games = on_bigquery.query(
        f"SELECT game_id FROM `{PROJECT}.envtest_nba_raw.schedule` WHERE game_date = DATE '2025-11-03' ORDER BY 1"
    )
    expected = on_bigquery.query(
        f"SELECT game_id FROM {w.relation('nba_raw', 'schedule')} WHERE game_date = DATE '2025-11-03' ORDER BY 1"
    )
    assert len(games) > 0 and games["game_id"].tolist() == expected["game_id"].tolist()
    landed = (
        on_bigquery.resources["landing"].get_client().bucket(BUCKET).blob("envtest_landing/schedule/2025-11-03.csv.gz")
    )
    assert landed.exists()
