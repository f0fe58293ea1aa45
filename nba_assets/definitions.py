"""The code location: one `Definitions` for the whole graph (workspace.yaml, `dg list defs`).

Every asset, check, job, schedule and sensor is a module-level object under `nba_assets/defs/`,
collected by Dagster's defs-folder loader ([tool.dg] in pyproject.toml); added here: the resources
NBA_ENV picks and the in-process executor. Importing this module changes nothing of the process.
The graph and the layout: docs/architecture.md.
"""

import os
import warnings

from dagster import BetaWarning, ComponentTree, Definitions, PreviewWarning, in_process_executor

from nba_assets.lib.paths import PROJECT_ROOT

DEFS_FOLDER = PROJECT_ROOT / "nba_assets" / "defs"


def load_defs_folder() -> Definitions:
    """What `load_from_defs_folder(project_root=PROJECT_ROOT)` loads, without the library metadata
    its root adds (the JSON of every installed component type, for the UI's component browser):
    building that imports dagster-gcp's components, hence BigQuery's client and pandas, +1 s of
    CPU at every load (docs/architecture.md, "Load time").

    Used knowingly: single-run backfill policies, partitioned asset checks (beta/preview in Dagster
    1.13); their notices are silenced while the modules load, not for the whole process."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        warnings.simplefilter("ignore", PreviewWarning)
        return ComponentTree.for_project(path_within_project=PROJECT_ROOT).build_defs(DEFS_FOLDER)


def build_definitions(resources: dict) -> Definitions:
    # The healing automation conditions are on the assets themselves (nba_assets/lib/automation.py):
    # mapping them over the resolved specs here resolved the whole asset graph at load (+0.15 s).
    return Definitions.merge(
        load_defs_folder(),
        # DuckDB work is milliseconds; step processes cost seconds each. One process per run.
        Definitions(resources=resources, executor=in_process_executor),
    )


def _resources() -> dict:
    from resources.environments import resources_for

    return resources_for(os.environ.get("NBA_ENV", "local"))


defs = build_definitions(_resources())
