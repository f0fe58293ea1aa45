"""The warehouse: DuckDB by default, through dagster-duckdb's resource.

Two additions to `DuckDBResource`: the connection is closed even when the work inside fails (the
library's context manager skips `close()` on error, which keeps the file lock and blocks the next
dbt call), `replace_window` writes a date window's rows in one transaction, and the process that
opens the warehouse for a run records itself as the run's owner and keeps a heartbeat
(resources/instance/run_owner.py): a run killed or frozen while holding the `warehouse` pool slot is
then found dead and closed instead of blocking every later run. A
connection that meets another process's lock (the replay CLI's reads outside its steps while
another replay writes) waits for it, saying so, instead of failing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dagster import InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import Field

from resources.instance.run_owner import start_heartbeat, stop_heartbeat

if TYPE_CHECKING:
    import duckdb
    import pandas as pd


class DuckDBWarehouse(DuckDBResource):
    dataset_prefix: str = Field(
        default="", description="Prepended to every schema, as dbt's generate_schema_name does."
    )
    lock_timeout_seconds: float = Field(
        default=600.0, description="How long to wait for another process's lock on the file."
    )

    def setup_for_execution(self, context: InitResourceContext) -> None:
        # Resources are set up in the process that executes the run's steps, before they open the
        # warehouse: that process owns the run (the UI's and the schedules' runs too).
        start_heartbeat(context.instance, context.run_id)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        stop_heartbeat(context.run_id)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        open_session = _SESSIONS.get(self.database)
        # In a session: a cursor (its own connection, its own transactions) of the open database.
        conn = open_session.cursor() if open_session is not None else self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _connect(self) -> duckdb.DuckDBPyConnection:
        if self.database != ":memory:":
            Path(self.database).parent.mkdir(parents=True, exist_ok=True)
        return connect_waiting(
            self.database, {"custom_user_agent": "dagster", **self.connection_config}, self.lock_timeout_seconds
        )

    @contextmanager
    def session(self) -> Iterator[None]:
        """Keeps the database open in this process for the block (one step's work): opening the
        file costs ~25 ms of CPU each time (catalog read, checkpoint on close), a cursor of the open
        database ~0.5 ms, and a one-date run opens it ~60 times. The file stays locked for the
        block only, like a connection: never across steps (other processes' steps take the
        `warehouse` pool slot between ours) nor around dbt (which opens the file itself)."""
        if self.database == ":memory:" or self.database in _SESSIONS:
            yield  # nested: the outer session keeps it open
            return
        _SESSIONS[self.database] = self._connect()
        try:
            yield
        finally:
            _SESSIONS.pop(self.database).close()

    @contextmanager
    def open_for_dbt(self) -> Iterator[None]:
        """Keeps the database open in this process while dbt runs in it: dbt-duckdb opens and
        closes the file for every node (~15 times a build, ~25 ms of CPU each); with the database
        open, each of its openings is a new connection to it (~0.5 ms). Opened with dbt-duckdb's
        configuration (the profile sets no DuckDB config options): DuckDB refuses a second
        configuration of a file open in the process. Closed as soon as dbt returns."""
        if self.database == ":memory:":
            yield
            return
        conn = connect_waiting(self.database, {}, self.lock_timeout_seconds)
        try:
            yield
        finally:
            conn.close()

    def relation(self, schema: str, table: str) -> str:
        return f"{self.dataset_prefix}{schema}.{table}"

    def replace_window(
        self,
        schema: str,
        table: str,
        rows: pd.DataFrame,
        column_types: dict[str, str],
        start: dt.date,
        end: dt.date,
        date_column: str = "game_date",
        only_matching: str | None = None,
    ) -> int:
        """WarehouseApi.replace_window (the contract, resources/interfaces.py): a delete and an
        insert in one DuckDB transaction."""
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in column_types.items())
        names = ", ".join(column_types)
        relation = self.relation(schema, table)
        with self.get_connection() as conn:
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {self.dataset_prefix}{schema}")
            conn.execute(f"CREATE TABLE IF NOT EXISTS {relation} ({columns})")
            self._add_missing_columns(conn, schema, table, column_types)
            conn.register("incoming_rows", rows[list(column_types)])
            conn.execute("BEGIN TRANSACTION")
            try:
                matching = (
                    f" AND {only_matching} IN (SELECT DISTINCT {only_matching} FROM incoming_rows)"
                    if only_matching
                    else ""
                )
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

    def _add_missing_columns(self, conn, schema: str, table: str, column_types: dict[str, str]) -> None:
        """A table written by an earlier version of its asset gains the columns added since (null in
        its earlier rows until their dates run again), instead of failing every later write."""
        existing = {
            name
            for (name,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
                [f"{self.dataset_prefix}{schema}", table],
            ).fetchall()
        }
        for name, sql_type in column_types.items():
            if name not in existing:
                conn.execute(f"ALTER TABLE {self.relation(schema, table)} ADD COLUMN {name} {sql_type}")

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        with self.get_connection() as conn:
            return conn.execute(sql, params or []).df()

    def table_exists(self, schema: str, table: str) -> bool:
        with self.get_connection() as conn:
            found = conn.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
                [f"{self.dataset_prefix}{schema}", table],
            ).fetchone()
        return bool(found and found[0])


# Databases kept open by `DuckDBWarehouse.session`, by path (steps of a run execute one at a time).
_SESSIONS: dict[str, duckdb.DuckDBPyConnection] = {}

# DuckDB's error when another process holds the file: "Could not set lock on file ...: Conflicting
# lock is held in <program> (PID <n>)".
LOCK_MESSAGE = "Could not set lock on file"
LOCK_POLL_SECONDS = 0.2
LOCK_NOTICE_AFTER_SECONDS = 3.0


def connect_waiting(database: str, config: dict, timeout: float) -> duckdb.DuckDBPyConnection:
    """`duckdb.connect`, retried while another process holds the file's lock (one writing process
    at a time). Steps never meet it (the `warehouse` pool serializes them); the replay CLI's own
    reads between runs can. Says once who holds it when the wait is noticeable."""
    import sys
    import time

    import duckdb

    started, noticed = time.monotonic(), False
    while True:
        try:
            return duckdb.connect(database, read_only=False, config=config)
        except duckdb.IOException as error:
            if LOCK_MESSAGE not in str(error):
                raise
            waited = time.monotonic() - started
            if waited > timeout:
                raise RuntimeError(f"warehouse {database} still locked after {waited:.0f}s: {error}") from error
            if waited > LOCK_NOTICE_AFTER_SECONDS and not noticed:
                print(
                    f"[warehouse] waiting for the lock on {database}: {str(error).split(': ', 1)[-1]}",
                    file=sys.stderr,
                    flush=True,
                )
                noticed = True
            time.sleep(LOCK_POLL_SECONDS)
