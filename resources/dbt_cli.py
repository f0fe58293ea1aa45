"""dbt CLI resource: dagster-dbt's, minus a `dbt --version` subprocess per invocation.

dagster-dbt asks the dbt executable for its version once per resource instance, and Dagster makes
a new instance per run: about 3.5 s of every run. Our dbt is the one installed next to this
interpreter (see `dbt_executable`), so its version is the installed dbt-core's.
"""

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from packaging import version


def dbt_executable() -> str:
    """dbt from this interpreter's environment (the venv), whatever PATH says."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


class ProjectDbtCliResource(DbtCliResource):
    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(installed_version("dbt-core"))
        return super()._cli_version
