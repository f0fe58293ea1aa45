"""The production deployment files stay valid as Dagster and the project change (cheap: no Docker,
no Postgres; those were checked by hand, see docs/runbook.md)."""

import re
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PG_ENV = {
    "DAGSTER_PG_USERNAME": "u",
    "DAGSTER_PG_PASSWORD": "p",
    "DAGSTER_PG_HOST": "h",
    "DAGSTER_PG_DB": "d",
    "DAGSTER_PG_PORT": "5432",
}


def test_the_production_instance_config_validates(tmp_path, monkeypatch):
    from dagster._core.instance.config import dagster_instance_config

    for name, value in PG_ENV.items():
        monkeypatch.setenv(name, value)
    shutil.copy(ROOT / "deploy" / "dagster.prod.yaml", tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    db = config["storage"]["postgres"]["postgres_db"]
    # Credentials come from the environment, never written in the file.
    assert all(isinstance(db[k], dict) and "env" in db[k] for k in ("username", "password", "hostname", "db_name"))
    assert config["run_retries"] == {"enabled": True, "max_retries": 2, "retry_on_asset_or_op_failure": False}
    assert config["concurrency"]["runs"]["max_concurrent_runs"] > 0
    assert config["run_coordinator"]["class"] == "QueuedRunCoordinator"


def test_the_production_workspace_validates(monkeypatch):
    from dagster._core.workspace.config_schema import process_workspace_config

    monkeypatch.setenv("NBA_CODE_LOCATION_HOST", "code")
    result = process_workspace_config(yaml.safe_load((ROOT / "deploy" / "workspace.prod.yaml").read_text()))
    assert result.success, result.errors
    assert result.value["load_from"][0]["grpc_server"]["location_name"] == "nba_assets"


def test_the_dockerfile_matches_the_lock_and_the_tree():
    dockerfile = (ROOT / "Dockerfile").read_text()
    lock = (ROOT / "requirements.lock").read_text()
    dagster = re.search(r"^dagster==1\.13\.(\d+)$", lock, re.MULTILINE)
    postgres = re.search(r"DAGSTER_POSTGRES_VERSION=0\.29\.(\d+)", dockerfile)
    assert dagster and postgres, "dagster pin or DAGSTER_POSTGRES_VERSION not found"
    # dagster-postgres 0.29.N requires dagster 1.13.N exactly: bump both together.
    assert postgres.group(1) == dagster.group(1)
    assert "FROM python:3.11-slim" in dockerfile and "requirements.lock" in dockerfile
    for source in re.findall(r"^COPY (\S+)", dockerfile, re.MULTILINE):
        if source != "--from":
            assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"
    assert "dbt parse" in dockerfile and '"dagster", "api", "grpc"' in dockerfile


@pytest.mark.parametrize("pattern", [".env*", "*credentials*.json", ".data", ".venv"])
def test_the_build_context_leaves_out_secrets_and_local_state(pattern):
    assert pattern in (ROOT / ".dockerignore").read_text().splitlines()
