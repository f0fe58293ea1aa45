"""Starts the local-bigquery emulator, in the emulator's own Python 3.13 venv (`make .emulators/.installed`).

    .emulators/bigquery/bin/python tests/emulators/bigquery_server.py --host 127.0.0.1 \
        --port P --grpc-port G --project PROJECT --data-dir DIR

Two things happen before the server starts:
- DuckDB's extensions (installed from PyPI as duckdb-extension-* packages) are copied to where
  DuckDB looks for them, `$HOME/.duckdb/extensions/v<version>/<platform>` (the tests point HOME
  at a temporary folder): otherwise DuckDB downloads them, and there is no network.
- Real BigQuery reports the created table as the destination of a CREATE TABLE AS SELECT job;
  local-bigquery 0.4.0 reports none, and dbt-bigquery reads that destination to count the rows
  of every table it creates (`client.get_table(query_job.destination)`), so dbt's first run of
  each model would fail. The job runner is wrapped to report the DDL target as the destination.
Nothing else of the emulator is changed.
"""

import importlib.util
import shutil
import sys
from pathlib import Path

EXTENSIONS = ("ducklake", "icu", "spatial", "avro", "httpfs")


def install_duckdb_extensions() -> None:
    import duckdb

    platform = duckdb.sql("PRAGMA platform").fetchone()[0]
    target = Path.home() / ".duckdb" / "extensions" / f"v{duckdb.__version__}" / platform
    target.mkdir(parents=True, exist_ok=True)
    for name in EXTENSIONS:
        spec = importlib.util.find_spec(f"duckdb_extension_{name}")
        if spec is None or spec.origin is None:
            raise SystemExit(f"duckdb-extension-{name} is not installed in {sys.prefix}")
        files = list(Path(spec.origin).parent.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
        if not files:
            raise SystemExit(f"duckdb-extension-{name} has no extension for DuckDB {duckdb.__version__}")
        if not (target / files[0].name).exists():
            shutil.copy2(files[0], target / files[0].name)


def report_ctas_destination() -> None:
    from local_bigquery.jobs import runner

    original = runner._query

    def _query(job, session, running):
        result = original(job, session, running)
        statistics, config = result.query, job.configuration.query
        if (
            statistics is not None
            and statistics.statementType == "CREATE_TABLE_AS_SELECT"
            and statistics.ddlTargetTable is not None
            and config.destinationTable is None
        ):
            config.destinationTable = statistics.ddlTargetTable
        return result

    runner._query = _query


if __name__ == "__main__":
    install_duckdb_extensions()
    report_ctas_destination()
    from local_bigquery.cli import main

    sys.exit(main(["serve", *sys.argv[1:]]))
