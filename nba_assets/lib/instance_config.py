"""The persistent local instance's dagster.yaml: the project's settings (dagster.yaml, which reads no
environment variable, so `dg dev` and `dg check defs` work without DAGSTER_HOME) plus the pooled
SQLite storage in DAGSTER_HOME (resources/instance/local_storage.yaml).

    python -m nba_assets.lib.instance_config <DAGSTER_HOME>     # `make` runs this

Tests and benchmarks write their temporary homes with `write_instance_config` too.
"""

import sys
from pathlib import Path

from nba_assets.lib.paths import PROJECT_ROOT

SETTINGS = PROJECT_ROOT / "dagster.yaml"
STORAGE = PROJECT_ROOT / "resources" / "instance" / "local_storage.yaml"


def instance_config() -> str:
    return SETTINGS.read_text() + "\n" + STORAGE.read_text()


def write_instance_config(home: str | Path) -> Path:
    """Writes `home`/dagster.yaml (through a temporary file: never half-written); returns its path."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    target, scratch = home / "dagster.yaml", home / "dagster.yaml.tmp"
    scratch.write_text(instance_config())
    scratch.replace(target)
    return target


if __name__ == "__main__":
    write_instance_config(sys.argv[1])
