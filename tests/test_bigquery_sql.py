"""Always on, no server: the dbt project compiles for the bigquery target, every compiled model and
data test parses as BigQuery SQL (sqlglot), names only prefixed datasets of the target project,
every mart is configured to replace exactly the run's window (insert_overwrite with one static
partition per date, partitioned by game_date, clustered by player_lookup when it has that column),
staging is views, and every model's yml lists exactly the columns its SQL outputs."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from tests.conftest import ROOT

PROJECT = "nba-compile-check"
PREFIX = "ci_"
WINDOW = {"min_date": "2025-11-02", "max_date": "2025-11-05", "dataset_prefix": PREFIX}
WINDOW_DATES = ["2025-11-02", "2025-11-03", "2025-11-04"]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("bigquery_compile")
    credentials = target / "credentials.json"
    credentials.write_text(
        json.dumps(
            {
                "type": "authorized_user",
                "client_id": "x",
                "client_secret": "x",
                "refresh_token": "x",
                "token": "x",
                "expiry": "2999-01-01T00:00:00Z",
            }
        )
    )
    env = {
        **os.environ,
        "NBA_GCP_PROJECT": PROJECT,
        "GOOGLE_APPLICATION_CREDENTIALS": str(credentials),
        # Nothing listens here: compiling must not need BigQuery.
        "BIGQUERY_EMULATOR_HOST": "http://127.0.0.1:9",
    }
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "compile",
            "--target",
            "bigquery",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
            "--no-populate-cache",
            "--exclude",
            "test_type:unit",
            "--vars",
            json.dumps(WINDOW),
        ],
        cwd=ROOT / "dbt_project",
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return target


def _nodes(compiled: Path) -> list[dict]:
    manifest = json.loads((compiled / "manifest.json").read_text())
    return [
        n
        for n in manifest["nodes"].values()
        if n["resource_type"] in ("model", "test")
        and n["package_name"] == "nba"
        and n["config"].get("materialized") != "ephemeral"
    ]


def test_every_compiled_model_and_test_parses_as_bigquery(compiled):
    nodes = _nodes(compiled)
    models = [n for n in nodes if n["resource_type"] == "model"]
    assert {n["name"] for n in models} == {
        "stg_nba_raw__schedule",
        "stg_nba_raw__player_boxscores",
        "stg_nba_raw__prop_lines",
        "player_game_summary",
        "team_game_summary",
        "grading_coverage_daily",
        "market_lines_consensus",
        "market_book_quotes",
        "player_market_features",
        "market_prop_accuracy",
    }
    assert len(nodes) > 30  # the data tests too
    for node in nodes:
        tree = sqlglot.parse_one(node["compiled_code"], read="bigquery")  # raises on a parse error
        for table in tree.find_all(exp.Table):
            if not table.name or table.name in {cte.alias for cte in tree.find_all(exp.CTE)}:
                continue
            assert table.catalog == PROJECT, (node["name"], table.sql("bigquery"))
            assert table.db.startswith(PREFIX), (node["name"], table.sql("bigquery"))


def _output_columns(sql: str) -> set[str]:
    return {column.alias_or_name for column in sqlglot.parse_one(sql, read="bigquery").selects}


def test_incremental_models_replace_the_window_with_static_partitions(compiled):
    partitions = [f"date '{day}'" for day in WINDOW_DATES]
    for node in _nodes(compiled):
        if node["resource_type"] != "model":
            continue
        config = node["config"]
        if node["name"].startswith("stg_"):  # staging: views over the raw tables, nothing to replace
            assert config["materialized"] == "view" and node["schema"] == f"{PREFIX}nba_staging", node["name"]
            continue
        assert config["materialized"] == "incremental", node["name"]
        assert config["incremental_strategy"] == "insert_overwrite", node["name"]
        assert config["partition_by"] == {"field": "game_date", "data_type": "date", "granularity": "day"}
        assert config["partitions"] == partitions, node["name"]
        columns = _output_columns(node["compiled_code"])
        assert "game_date" in columns
        if "player_lookup" in columns:
            assert config["cluster_by"] == ["player_lookup"], node["name"]
        assert node["schema"].startswith(PREFIX)


def test_every_model_documents_exactly_the_columns_it_outputs(compiled):
    """The yml of each model (models/<layer>/<model>.yml) names every column of its compiled SQL and
    no other (tests/test_dbt_docs.py checks that each has a description)."""
    for node in _nodes(compiled):
        if node["resource_type"] == "model":
            assert set(node["columns"]) == _output_columns(node["compiled_code"]), node["name"]
