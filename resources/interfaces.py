"""What the assets need of the warehouse and of the object store, whichever backs them.

`NBA_ENV` picks the implementations (resources/environments.py): DuckDBWarehouse or
BigQueryWarehouse, LocalObjectStore or GCSObjectStore. Assets annotate their resources with these
types so that no asset names one backend; `ResourceParam` tells Dagster they are resources.
"""

import datetime as dt
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Protocol

from dagster import ResourceParam

if TYPE_CHECKING:
    import pandas as pd


class WarehouseApi(Protocol):
    def relation(self, schema: str, table: str) -> str: ...

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
        """Replaces the rows with start <= date_column < end by `rows`, atomically: a failure
        anywhere leaves the window's previous rows. Creates the table (`column_types`) if missing.

        With `only_matching` (a column), only the window's rows whose value of that column occurs in
        `rows` are replaced: prop-line snapshots already loaded survive a later fetch that no longer
        serves them (lines of games that have started). Returns the rows written.
        """
        ...

    def query(self, sql: str, params: list | None = None) -> "pd.DataFrame": ...

    def table_exists(self, schema: str, table: str) -> bool: ...

    def session(self) -> AbstractContextManager[None]:
        """The queries inside share what opening the warehouse costs (see DuckDBWarehouse)."""
        ...

    def open_for_dbt(self) -> AbstractContextManager[None]:
        """Around a dbt invocation in this process: its openings of the warehouse are cheap."""
        ...


class ObjectStoreApi(Protocol):
    def put_bytes(self, key: str, data: bytes) -> str: ...

    def get_bytes(self, key: str) -> bytes: ...

    def exists(self, key: str) -> bool: ...

    def uri(self, key: str) -> str: ...


Warehouse = ResourceParam[WarehouseApi]
ObjectStore = ResourceParam[ObjectStoreApi]
