"""dbt CLI resource: dagster-dbt's, running dbt inside the step's process.

dagster-dbt starts `dbt` as a subprocess per invocation. Measured on a 2-core machine, each one cost
3-5 s before any SQL: a new Python importing dbt (~2 s, most of it dbt's dataclass code
generation), loading or re-parsing the project (~1-3 s), and, in the calling process, a dbt adapter
dagster-dbt builds for features we do not use (~1 s). The SQL of a season takes under a second.

Here dbt runs in this process through dbt's programmatic API (`dbtRunner`): dbt's modules are
already imported with dagster-dbt, the project is parsed once per process (partial parsing from
the state kept per environment in `target/partial_parse/`) and every invocation gets a copy of that manifest. Its events are
the ones `dbt --log-format json` prints, handed to dagster-dbt's own `DbtCliInvocation`, so
streaming, asset events, errors and `raise_on_error` behave as with the subprocess. Set
`in_process=False` for dagster-dbt's subprocess.

Also dropped from every invocation: `dbt --version` (dagster-dbt asks once per resource instance,
and Dagster makes one per run; ours is the dbt-core installed next to this interpreter), and the
in-process dbt adapter behind `fetch_row_counts()`/`fetch_column_metadata()`, which we do not call:
row counts and previews come from the warehouse (nba_assets/defs/transform/dbt_models.py).
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
import threading
from collections.abc import Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, DbtCliResource
from packaging import version
from pydantic import Field

from nba_assets.lib.environment import environ
from resources.warehouse.job_labels import LABEL_VARIABLES, label_environment

# The run's window (end exclusive), set for one invocation by nba_assets/defs/transform/dbt_models.py and read by
# dbt_project/macros/window.sql only when SQL runs: a parse does not depend on them.
WINDOW_VARIABLES = ("NBA_WINDOW_START", "NBA_WINDOW_END")
# Read only when SQL runs too: the window, and the step's job labels (macros/query_comment.sql).
RUN_VARIABLES = (*WINDOW_VARIABLES, *LABEL_VARIABLES.values())
PARTIAL_PARSE_FILE = "partial_parse.msgpack"
PARSE_VARIABLE_PREFIXES = ("NBA_", "DBT_", "GOOGLE_")


def dbt_executable() -> str:
    """dbt from this interpreter's environment (the venv), whatever PATH says."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


class ProjectDbtCliResource(DbtCliResource):
    in_process: bool = Field(
        default=True,
        description="Run dbt in the step's process (dbtRunner) instead of a `dbt` subprocess.",
    )
    env: dict[str, str] = Field(
        default_factory=dict,
        description="Environment variables dbt reads (profiles.yml: NBA_DUCKDB_PATH, NBA_DBT_TARGET), "
        "set only while an invocation runs (in process, or when its subprocess starts).",
    )

    def _initialize_dbt_core_adapter(self, args):
        return None  # DbtCliInvocation takes adapter=None: no column metadata or row counts

    @cached_property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent == Path(sys.executable).parent:
            return version.parse(installed_version("dbt-core"))
        return super()._cli_version

    def _setup(self, project_dir: Path, target_path: Path) -> list[str]:
        """Profile, target and folders of an invocation (the manifest cache's key, see
        `_parsed_manifest`, is all of it but the folders)."""
        return [
            *(["--profile", self.profile] if self.profile else []),
            *(["--target", self.target] if self.target else []),
            "--project-dir",
            str(project_dir),
            "--profiles-dir",
            str(self.profiles_dir or project_dir),
            "--target-path",
            str(target_path),
            "--log-path",
            str(target_path),
        ]

    def cli(
        self,
        args: Sequence[str],
        *,
        raise_on_error: bool = True,
        manifest=None,
        dagster_dbt_translator: DagsterDbtTranslator | None = None,
        context=None,
        target_path: Path | None = None,
    ) -> DbtCliInvocation:
        # The step's asset, partition and run id, for the labels of dbt's BigQuery jobs.
        with environ(**self.env, **label_environment()):
            return self._cli(args, raise_on_error, manifest, dagster_dbt_translator, context, target_path)

    def _cli(self, args, raise_on_error, manifest, dagster_dbt_translator, context, target_path) -> DbtCliInvocation:
        if not self.in_process:
            return super().cli(
                args,
                raise_on_error=raise_on_error,
                manifest=manifest,
                dagster_dbt_translator=dagster_dbt_translator,
                context=context,
                target_path=target_path,
            )
        from dagster_dbt.asset_utils import (
            extract_runtime_selection_from_args,
            get_updated_cli_invocation_params_for_context,
        )
        from dagster_dbt.dagster_dbt_translator import validate_opt_translator
        from dagster_dbt.dbt_manifest import validate_manifest

        # What DbtCliResource.cli computes before it starts the subprocess (same helpers).
        translator = validate_opt_translator(dagster_dbt_translator) or DagsterDbtTranslator()
        cleaned_args, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest=validate_manifest(manifest) if manifest else {},
            dagster_dbt_translator=translator,
            runtime_selects=selects,
            runtime_excludes=excludes,
        )
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        target_path = target_path or self._get_unique_target_path(context=context)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
        setup = self._setup(project_dir, target_path)
        dbt_args = [*self.global_config_flags, *cleaned_args, *params.selection_args, *indirect, *setup]
        return DbtCliInvocation(
            process=InProcessDbt(dbt_args, setup, project_dir, target_path),
            manifest=params.manifest,
            project=params.dbt_project,
            dagster_dbt_translator=params.dagster_dbt_translator,
            project_dir=project_dir,
            target_path=target_path,
            raise_on_error=raise_on_error,
            context=context,
            adapter=None,
            cli_version=self._cli_version,
        )


class InProcessDbt:
    """One dbt invocation run to completion in this process, shaped like the `subprocess.Popen`
    that DbtCliInvocation reads: `stdout` holds dbt's JSON log lines (info level and above, as
    `dbt --log-format json` prints them), `wait()` returns dbt's exit code (0 success, 1 failure,
    2 error)."""

    _lock = threading.Lock()  # dbt keeps global state (flags, adapters): one invocation at a time

    def __init__(self, dbt_args: list[str], setup: list[str], project_dir: Path, target_path: Path):
        from dbt.cli.main import dbtRunner
        from dbt_common.events.functions import msg_to_json

        self.args = ["dbt", *dbt_args]  # DbtCliInvocation.dbt_command
        lines: list[bytes] = []

        def collect(event) -> None:
            if event.info.level != "debug":
                lines.append(msg_to_json(event).encode())

        target_path.mkdir(parents=True, exist_ok=True)
        _fast_behavior_flag_source()
        # --vars shape the parse (schema names use the dataset prefix; BigQuery's static
        # partitions are config): the manifest is parsed with the invocation's vars.
        vars_args = [*dbt_args[dbt_args.index("--vars") :][:2]] if "--vars" in dbt_args else []
        with InProcessDbt._lock:
            manifest = _parsed_manifest(setup, project_dir, target_path, vars_args)
            # A copy per invocation: dbt marks nodes compiled (ephemeral CTEs injected) in place.
            result = dbtRunner(manifest=manifest.deepcopy(), callbacks=[collect]).invoke(
                [*dbt_args, "--log-level", "none"]
            )  # dagster-dbt echoes the events itself
        if result.exception is not None:
            lines.append(_error_line(f"dbt failed: {result.exception}"))
        self.returncode = 0 if result.success else (2 if result.exception is not None else 1)
        self.stdout = io.BytesIO(b"\n".join(lines))

    def wait(self, timeout: float | None = None) -> int:
        return self.returncode

    def poll(self) -> int:
        return self.returncode

    def send_signal(self, signal: int) -> None:
        pass  # already finished


def _behavior_flag_source() -> str:
    """The module that declared a dbt behavior flag: the first caller outside dbt_common's
    behavior_flags module, as dbt's own `BehaviorFlagRendered._default_source` finds it, read from
    the frames' globals instead of `inspect.stack()`. dbt computes it for every flag of every
    adapter it creates, even for flags that name their source; `inspect.stack()` reads the source
    file of every frame of the caller's stack, and under Dagster that stack is deep: ~0.3 s of a
    one-date run (three adapters). Same result (tests/test_private_api_contract.py)."""
    from dbt_common import behavior_flags

    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__")
        if module is not None and module != behavior_flags.__name__:
            return module
        frame = frame.f_back
    return "Unknown"


def _fast_behavior_flag_source() -> None:
    """Replaces dbt_common's `BehaviorFlagRendered._default_source` by `_behavior_flag_source`
    (when dbt runs in this process, not at import: nothing changes until dbt is invoked here)."""
    from dbt_common.behavior_flags import BehaviorFlagRendered

    BehaviorFlagRendered._default_source = staticmethod(_behavior_flag_source)


_manifests: dict[tuple, Any] = {}


def _parsed_manifest(setup: list[str], project_dir: Path, target_path: Path, vars_args: list[str]):
    """The project's manifest, parsed once per process and environment (the profile and the
    models read environment variables: the DuckDB path, the dataset prefix), with dbt's partial
    parsing from this environment's kept state (`partial_parse_file`), which it then refreshes.
    `setup`: profile, target and folders (the invocation's target folder receives the parse's
    files)."""
    from dbt.cli.main import dbtRunner

    # Only variables the project and profiles can read (env_var() on NBA_*, GOOGLE_*; dbt's own
    # DBT_* flags): libraries set others as they load (OpenMP's KMP_* with scikit-learn), which
    # must not cost a second parse in the same run.
    environment = tuple(
        sorted(
            (k, v) for k, v in os.environ.items() if k.startswith(PARSE_VARIABLE_PREFIXES) and k not in RUN_VARIABLES
        )
    )
    key = (tuple(setup[: setup.index("--target-path")]), tuple(vars_args), environment)
    if key in _manifests:
        return _manifests[key]
    kept = partial_parse_file(project_dir, key)
    # This environment's state, else the one `make` parses with (target/partial_parse.msgpack).
    for source in (kept, project_dir / "target" / PARTIAL_PARSE_FILE):
        try:
            shutil.copyfile(source, target_path / PARTIAL_PARSE_FILE)
            break
        except FileNotFoundError:  # none yet, or dropped by another process's `_keep`
            continue
    # No manifest.json: the invocation folder is deleted after it (~0.2 s of writing JSON).
    parsed = dbtRunner().invoke(["parse", *setup, *vars_args, "--no-write-json", "--log-level", "none"])
    if not parsed.success:
        raise RuntimeError(f"dbt parse failed: {parsed.exception}")
    written = target_path / PARTIAL_PARSE_FILE
    if written.exists():
        _keep(written, kept)
    _manifests.clear()
    _manifests[key] = parsed.result
    return parsed.result


# Partial-parse states kept, one per parse environment, the most recently used.
PARTIAL_PARSE_KEPT = 8


def partial_parse_file(project_dir: Path, key: tuple) -> Path:
    """Where the partial-parse state of one parse environment is kept. dbt's state is valid for
    the profile and variables it was parsed with: one shared file, refreshed by whichever process
    parsed last (a test run, another data folder), cost the next run in this folder a full parse
    (~1 s). One file per environment: each keeps its own."""
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:16]
    return project_dir / "target" / "partial_parse" / f"{digest}.msgpack"


def _keep(written: Path, kept: Path) -> None:
    """Stores a parse's state (renamed into place: runs in other processes may read it now) and
    drops the least recently stored beyond PARTIAL_PARSE_KEPT."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    temporary = kept.with_name(f".{kept.name}.{os.getpid()}")
    shutil.copyfile(written, temporary)
    os.replace(temporary, kept)
    states = sorted(kept.parent.glob("*.msgpack"), key=_stored_at)
    for old in states[:-PARTIAL_PARSE_KEPT]:
        old.unlink(missing_ok=True)


def _stored_at(path: Path) -> int:
    """When a kept state was stored; 0 when another process's `_keep` has just dropped it (its
    pruning runs at the same time as ours: a vanished file must not fail this dbt step)."""
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


def _error_line(message: str) -> bytes:
    import json

    return json.dumps(
        {
            "info": {"level": "error", "msg": message, "name": "InProcessDbtError", "invocation_id": "", "ts": ""},
            "data": {},
        }
    ).encode()
