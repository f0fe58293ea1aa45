"""The guards on BigQuery jobs (resources/warehouse/job_labels.py), quickly: label values obey
BigQuery's rules, the byte limit is read and refused when malformed, a Dagster step's labels name
its asset, partition window and run. That every job of a real run (Python's and dbt's) carries
them is asserted on the emulator, from the requests the clients send
(tests/test_bigquery_pipeline.py::test_every_bigquery_job_carries_labels_and_a_byte_limit)."""

import re
from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    DagsterInstance,
    DailyPartitionsDefinition,
    MaterializeResult,
    asset,
    asset_check,
    materialize,
    multi_asset,
)

from resources.warehouse.job_labels import (
    DEFAULT_MAXIMUM_BYTES_BILLED,
    LABEL_VARIABLES,
    MAXIMUM_BYTES_BILLED_VARIABLE,
    job_labels,
    label_environment,
    label_value,
    maximum_bytes_billed,
)

ROOT = Path(__file__).resolve().parent.parent
LABEL = re.compile(r"[a-z0-9_-]{0,63}")


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("raw_prop_lines", "raw_prop_lines"),
        ("points/Model Fit", "points_model_fit"),
        ("2025-11-02", "2025-11-02"),
        ("0F1E2D3C-AAAA-bbbb", "0f1e2d3c-aaaa-bbbb"),
        ("x" * 80, "x" * 63),
        ("Ünïcode.key", "_n_code_key"),
    ],
)
def test_label_values_obey_bigquerys_rules(raw, expected):
    assert label_value(raw) == expected
    assert LABEL.fullmatch(label_value(raw))


def test_the_byte_limit_is_configurable_and_a_bad_one_is_refused(monkeypatch):
    monkeypatch.delenv(MAXIMUM_BYTES_BILLED_VARIABLE, raising=False)
    assert maximum_bytes_billed() == DEFAULT_MAXIMUM_BYTES_BILLED == 10 * 1024**3
    monkeypatch.setenv(MAXIMUM_BYTES_BILLED_VARIABLE, "1000000")
    assert maximum_bytes_billed() == 1_000_000
    for bad in ("ten gigabytes", "0", "-5"):
        monkeypatch.setenv(MAXIMUM_BYTES_BILLED_VARIABLE, bad)
        with pytest.raises(ValueError, match=MAXIMUM_BYTES_BILLED_VARIABLE):
            maximum_bytes_billed()


def test_dbt_reads_the_same_limit_and_the_labels_it_is_given():
    profile = (ROOT / "dbt_project" / "profiles.yml").read_text()
    assert f"env_var('{MAXIMUM_BYTES_BILLED_VARIABLE}', '{DEFAULT_MAXIMUM_BYTES_BILLED}')" in profile
    comment = (ROOT / "dbt_project" / "macros" / "query_comment.sql").read_text()
    for key, variable in LABEL_VARIABLES.items():
        assert f'"{key}"' in comment and f'"{variable}"' in comment
    # Read when SQL runs, not when dbt parses: a new run id must not cost a re-parse.
    from resources.dbt.runner import RUN_VARIABLES

    assert set(LABEL_VARIABLES.values()) <= set(RUN_VARIABLES)


def test_outside_a_step_only_the_app_label():
    assert job_labels() == {"app": "nba-props"}
    assert set(label_environment().values()) == {"none"}


daily = DailyPartitionsDefinition(start_date="2025-10-01")
seen: dict[str, dict] = {}


@asset(partitions_def=daily, key=AssetKey(["points", "Model"]))
def one_asset(context: AssetExecutionContext) -> None:
    from resources.warehouse.bigquery_warehouse import _query_config

    config = _query_config([])
    seen["asset"] = {"labels": config.labels, "maximum_bytes_billed": config.maximum_bytes_billed}
    seen["dbt_environment"] = label_environment()


@asset_check(asset=one_asset)
def one_check():
    seen["check"] = job_labels()
    return AssetCheckResult(passed=True)


@multi_asset(specs=[AssetSpec("first"), AssetSpec("second")], partitions_def=daily, name="two_tables")
def two_assets():
    seen["multi"] = job_labels()
    yield MaterializeResult(asset_key="first")
    yield MaterializeResult(asset_key="second")


def test_a_steps_labels_name_its_asset_window_and_run():
    instance = DagsterInstance.ephemeral()
    result = materialize(
        [one_asset, one_check, two_assets],
        instance=instance,
        tags={"dagster/asset_partition_range_start": "2025-11-02", "dagster/asset_partition_range_end": "2025-11-04"},
    )
    assert result.success
    run = {"app": "nba-props", "dagster_partition": "2025-11-02_to_2025-11-04", "dagster_run_id": result.run_id}
    assert seen["asset"] == {
        "labels": {**run, "dagster_asset": "points_model"},
        "maximum_bytes_billed": DEFAULT_MAXIMUM_BYTES_BILLED,
    }
    assert seen["check"] == {**run, "dagster_asset": "points_model"}
    # A step that materializes several assets is named by its op.
    assert seen["multi"] == {**run, "dagster_asset": "two_tables"}
    assert seen["dbt_environment"] == {
        "NBA_JOB_LABEL_ASSET": "points_model",
        "NBA_JOB_LABEL_PARTITION": "2025-11-02_to_2025-11-04",
        "NBA_JOB_LABEL_RUN_ID": result.run_id,
    }

    one_date = materialize([one_asset], instance=instance, partition_key="2025-11-03")
    assert seen["asset"]["labels"]["dagster_partition"] == "2025-11-03"
    assert seen["asset"]["labels"]["dagster_run_id"] == one_date.run_id
