"""The import direction of the project (nba_assets.lib <- resources <- the code location), kept by
import-linter's contracts in pyproject.toml: a module that breaks them fails here, naming the import."""

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_import_contracts_are_kept():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_a_broken_contract_fails(tmp_path):
    """The check itself can fail: a copy of the project whose resources import the code location."""
    import shutil

    for folder in ("nba_assets", "resources"):
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    teams = tmp_path / "resources" / "sources" / "teams.py"
    teams.write_text("import nba_assets.defs.ingest.raw\n" + teams.read_text())
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(tmp_path), "PATH": ""},
    )
    assert result.returncode != 0
    assert "resources.sources.teams -> nba_assets.defs.ingest.raw" in result.stdout
