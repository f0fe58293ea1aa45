"""The warehouse: DuckDB by default, through dagster-duckdb's resource.

Two additions to `DuckDBResource`: the connection is closed even when the work inside fails (the
library's context manager skips `close()` on error, which keeps the file lock and blocks the next
dbt call), and `replace_window` writes a date window's rows in one transaction.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator

from dagster_duckdb import DuckDBResource
from pydantic import Field

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


class DuckDBWarehouse(DuckDBResource):
    dataset_prefix: str = Field(
        default="", description="Prepended to every schema, as dbt's generate_schema_name does.")

    @contextmanager
    def get_connection(self) -> Iterator["duckdb.DuckDBPyConnection"]:
        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        with super().get_connection() as conn:
            try:
                yield conn
            finally:
                conn.close()

    def relation(self, schema: str, table: str) -> str:
        return f"{self.dataset_prefix}{schema}.{table}"

    def replace_window(
        self,
        schema: str,
        table: str,
        rows: "pd.DataFrame",
        column_types: dict[str, str],
        start: dt.date,
        end: dt.date,
        date_column: str = "game_date",
        only_matching: str | None = None,
    ) -> int:
        """Replaces the rows with start <= date_column < end by `rows`, atomically.

        With `only_matching` (a column), only the window's rows whose value of that column occurs in
        `rows` are replaced: prop-line snapshots already loaded survive a later fetch that no longer
        serves them (lines of games that have started). A failure anywhere rolls back: the window
        keeps its previous rows. Returns the rows written.
        """
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in column_types.items())
        names = ", ".join(column_types)
        relation = self.relation(schema, table)
        with self.get_connection() as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.dataset_prefix}{schema}")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {relation} ({columns})")
            conn.register("incoming_rows", rows[list(column_types)])
            conn.execute("BEGIN TRANSACTION")
            try:
                matching = (f" AND {only_matching} IN (SELECT DISTINCT {only_matching} FROM incoming_rows)"
                            if only_matching else "")
                conn.execute(
                    f"DELETE FROM {relation} WHERE {date_column} >= ? AND {date_column} < ?{matching}",
                    [start, end],
                )
                conn.execute(f"INSERT INTO {relation} ({names}) SELECT {names} FROM incoming_rows")
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            finally:
                conn.unregister("incoming_rows")
        return len(rows)

    def query(self, sql: str, params: list | None = None) -> "pd.DataFrame":
        with self.get_connection() as conn:
            return conn.execute(sql, params or []).df()

    def table_exists(self, schema: str, table: str) -> bool:
        with self.get_connection() as conn:
            found = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [f"{self.dataset_prefix}{schema}", table],
            ).fetchone()
        return bool(found and found[0])
