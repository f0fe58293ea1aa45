"""The code location: one `Definitions` for the whole graph (workspace.yaml, `dg list defs`).

raw (Python) -> analytics + features (dbt) -> points model -> predictions in seven markets, best
bets (Python) -> grading (dbt) -> exports (JSON) and the backtest reports. Every asset is
partitioned by US-Eastern game date (the model of a date is its week's model): a range is one run.

Dagster's project layout: every asset, check, job, schedule and sensor is a module-level object
under `nba_assets/defs/` (one folder per phase, plus operations/ and jobs.py), collected by
Dagster's defs-folder loader ([tool.dg] in pyproject.toml; `dg check defs`). Added here: the
resources chosen by NBA_ENV and the in-process executor (the healing automation conditions are on
the assets themselves: nba_assets/lib/automation.py). See docs/architecture.md.
"""

import gc

# The cyclic collector is paused while the code location loads (dagster, dagster-dbt and dbt:
# ~1M long-lived objects, almost none garbage; its passes were ~15% of the load) and restored as it
# was at the end of this module: the process is left as it was found (nothing frozen).
_collecting = gc.isenabled()
gc.disable()

import os  # noqa: E402
import warnings  # noqa: E402

from dagster import BetaWarning, ComponentTree, Definitions, PreviewWarning, in_process_executor  # noqa: E402

# Used knowingly: single-run backfill policies, partitioned asset checks, partition mappings that
# allow missing upstream weeks (beta/preview in Dagster 1.13). Their notices would print at every
# load of the code location.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

from nba_assets.lib.paths import PROJECT_ROOT  # noqa: E402

DEFS_FOLDER = PROJECT_ROOT / "nba_assets" / "defs"


def load_defs_folder() -> Definitions:
    """What `load_from_defs_folder(project_root=PROJECT_ROOT)` loads, without the library metadata
    its root adds (the JSON of every installed component type, for the UI's component browser):
    building that imports dagster-gcp's components, hence BigQuery's client and pandas, +1 s of
    CPU at every load (docs/architecture.md, "Load time")."""
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

if _collecting:
    gc.enable()
