"""Where the project's folders are (the repository checkout or the installed tree)."""

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
# The replay archive shipped with the project, and the local data folder (NBA_DATA_DIR's default).
DEFAULT_ARCHIVE = PROJECT_ROOT / "data" / "replay"
DEFAULT_DATA_DIR = PROJECT_ROOT / ".data"
