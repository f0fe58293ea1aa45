"""The warehouse on BigQuery: the interface of `DuckDBWarehouse`, on dagster-gcp's resource.

- `relation(schema, table)` is the fully qualified table, the dataset carrying the prefix exactly
  as dbt's `generate_schema_name` gives it (`<prefix><schema>`), so Python and dbt meet.
- `replace_window` loads the rows into a staging table, then one MERGE deletes the window's rows and
  inserts the new ones: a single DML statement, so atomic (a failure leaves the window's previous
  rows); re-running a window replaces it, never duplicates it. Tables are partitioned by day on
  the date column and clustered by `player_lookup` where the table has it.
- `query` runs the assets' SQL as written: it is portable (ANSI joins and aggregates, `?` positional
  parameters, which BigQuery supports as they are) and names tables through `relation`.
- Every job carries labels (the step's asset, partition and run id) and every query job a byte
  limit, `maximum_bytes_billed` (resources/warehouse/job_labels.py). Load jobs bill no bytes and
  take no limit; table creation and deletion are API calls, not jobs.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from contextlib import nullcontext
from typing import TYPE_CHECKING

from dagster import InitResourceContext
from dagster_gcp import BigQueryResource
from pydantic import Field

from resources.instance.run_owner import start_heartbeat, stop_heartbeat
from resources.warehouse.job_labels import job_labels, maximum_bytes_billed

if TYPE_CHECKING:
    import pandas as pd
    from google.cloud import bigquery

# The SQL types the assets declare (DuckDB's names) and their BigQuery types.
BIGQUERY_TYPES = {
    "DATE": "DATE",
    "VARCHAR": "STRING",
    "INTEGER": "INT64",
    "BIGINT": "INT64",
    "DOUBLE": "FLOAT64",
    "BOOLEAN": "BOOL",
    "TIMESTAMPTZ": "TIMESTAMP",
}
CLUSTER_COLUMN = "player_lookup"
# A staging table left behind by a killed process removes itself.
STAGING_LIFETIME = dt.timedelta(hours=6)


class BigQueryWarehouse(BigQueryResource):
    dataset_prefix: str = Field(
        default="", description="Prepended to every dataset (e.g. `test_`), as in dbt's schemas."
    )

    # The process that opens the warehouse for a run owns it and keeps its heartbeat
    # (resources/instance/run_owner.py), as with DuckDB: a dead or frozen run worker is found.
    def setup_for_execution(self, context: InitResourceContext) -> None:
        start_heartbeat(context.instance, context.run_id)

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        stop_heartbeat(context.run_id)

    def dataset(self, schema: str) -> str:
        return f"{self.dataset_prefix}{schema}"

    def _project(self, client: bigquery.Client) -> str:
        return self.project or client.project

    def relation(self, schema: str, table: str) -> str:
        if not self.project:
            with self.get_client() as client:
                return f"`{client.project}.{self.dataset(schema)}.{table}`"
        return f"`{self.project}.{self.dataset(schema)}.{table}`"

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
        """WarehouseApi.replace_window (the contract, resources/interfaces.py): the rows are loaded
        into a staging table, then one MERGE replaces the window. Rows dated outside the window are
        refused (they would survive the next replacement of their own date as duplicates)."""
        import pandas as pd
        from google.cloud import bigquery

        fields = [bigquery.SchemaField(name, _bigquery_type(name, sql_type)) for name, sql_type in column_types.items()]
        rows = rows[list(column_types)]
        dates = pd.to_datetime(rows[date_column]).dt.date
        outside = rows[(dates < start) | (dates >= end)]
        if len(outside):
            raise ValueError(
                f"{self.dataset(schema)}.{table}: {len(outside)} rows are dated outside the window "
                f"{start}..{end} (end exclusive), first rows:\n{outside.head(5).to_string()}"
            )
        try:
            data = _parquet(rows, fields) if len(rows) else None
        except (TypeError, ValueError) as err:  # pyarrow's errors name the column and value
            raise ValueError(f"{self.dataset(schema)}.{table}: rows do not fit the table's types: {err}") from err
        with self.get_client() as client:
            target = self._create_table(client, schema, table, fields, date_column)
            staging = bigquery.Table(
                f"{target.project}.{target.dataset_id}.{table}__staging_{uuid.uuid4().hex}", schema=fields
            )
            staging.expires = dt.datetime.now(dt.UTC) + STAGING_LIFETIME
            client.create_table(staging)
            try:
                if data is not None:
                    client.load_table_from_file(
                        data,
                        staging,
                        rewind=True,
                        job_config=bigquery.LoadJobConfig(
                            schema=fields,
                            source_format=bigquery.SourceFormat.PARQUET,
                            write_disposition="WRITE_APPEND",
                            labels=job_labels(),
                        ),
                    ).result()
                parameters = [
                    bigquery.ScalarQueryParameter("window_start", "DATE", start),
                    bigquery.ScalarQueryParameter("window_end", "DATE", end),
                ]
                if only_matching:
                    parameters.append(
                        bigquery.ArrayQueryParameter(
                            "matching",
                            _bigquery_type(only_matching, column_types[only_matching]),
                            sorted(rows[only_matching].dropna().unique().tolist()),
                        )
                    )
                client.query_and_wait(
                    _window_merge(target, staging, list(column_types), date_column, only_matching),
                    job_config=_query_config(parameters),
                )
            finally:
                client.delete_table(staging, not_found_ok=True)
        return len(rows)

    def _create_table(
        self, client: bigquery.Client, schema: str, table: str, fields: list, date_column: str
    ) -> bigquery.Table:
        """The dataset and the table, created when missing: partitioned by day on the date column,
        clustered by player_lookup when the table has it."""
        from google.cloud import bigquery

        project = self._project(client)
        client.create_dataset(bigquery.Dataset(f"{project}.{self.dataset(schema)}"), exists_ok=True)
        target = bigquery.Table(f"{project}.{self.dataset(schema)}.{table}", schema=fields)
        target.time_partitioning = bigquery.TimePartitioning(type_=bigquery.TimePartitioningType.DAY, field=date_column)
        if any(field.name == CLUSTER_COLUMN for field in fields):
            target.clustering_fields = [CLUSTER_COLUMN]
        existing = client.create_table(target, exists_ok=True)
        # A table written by an earlier version of its asset gains the columns added since (NULLABLE,
        # null in its earlier rows until their dates run again), instead of failing every later load.
        known = {field.name for field in existing.schema}
        missing = [field for field in fields if field.name not in known]
        if missing:
            existing.schema = [*existing.schema, *missing]
            existing = client.update_table(existing, ["schema"])
        return existing

    def open_for_dbt(self) -> nullcontext:
        """Nothing to keep open for dbt either (DuckDBWarehouse keeps its file open)."""
        return nullcontext()

    def session(self) -> nullcontext:
        """Nothing to keep open: every query is a job (DuckDBWarehouse keeps its file open)."""
        return nullcontext()

    def query(self, sql: str, params: list | None = None) -> pd.DataFrame:
        config = _query_config([_parameter(v) for v in params or []])
        with self.get_client() as client:
            result = client.query_and_wait(sql, job_config=config).to_arrow(create_bqstorage_client=False)
        # The dtypes of DuckDB's frames: dates as datetime64, nullable integers and booleans.
        return result.to_pandas(date_as_object=False, types_mapper=_pandas_dtype)

    def table_exists(self, schema: str, table: str) -> bool:
        from google.api_core.exceptions import NotFound

        with self.get_client() as client:
            try:
                client.get_table(f"{self._project(client)}.{self.dataset(schema)}.{table}")
            except NotFound:
                return False
        return True


def _query_config(parameters: list) -> bigquery.QueryJobConfig:
    """A query job's config: its parameters, the byte limit and the step's labels."""
    from google.cloud import bigquery

    return bigquery.QueryJobConfig(
        query_parameters=parameters, maximum_bytes_billed=maximum_bytes_billed(), labels=job_labels()
    )


def _window_merge(target, staging, columns: list[str], date_column: str, only_matching: str | None) -> str:
    """One MERGE (atomic): delete the target's rows of the window (@window_start..@window_end; with
    `only_matching`, only those whose value is in @matching), insert the staging rows."""
    names = ", ".join(f"`{name}`" for name in columns)
    values = ", ".join(f"incoming.`{name}`" for name in columns)
    matching = f"AND target.`{only_matching}` IN UNNEST(@matching)" if only_matching else ""
    return f"""
        MERGE `{target.project}.{target.dataset_id}.{target.table_id}` AS target
        USING `{staging.project}.{staging.dataset_id}.{staging.table_id}` AS incoming
        ON FALSE
        WHEN NOT MATCHED BY SOURCE
            AND target.`{date_column}` >= @window_start AND target.`{date_column}` < @window_end
            {matching}
            THEN DELETE
        WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({values})
    """


def _pandas_dtype(arrow_type):
    """Nullable integers and booleans, like DuckDB's frames (None: pyarrow's default)."""
    import pandas as pd
    import pyarrow as pa

    return {pa.int64(): pd.Int64Dtype(), pa.bool_(): pd.BooleanDtype()}.get(arrow_type)


def _parquet(rows: pd.DataFrame, fields: list) -> io.BytesIO:
    """The rows as a Parquet file typed by the table's schema (a value that does not fit its
    column's type fails here, naming the column, before anything is written)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrow_types = {
        "DATE": pa.date32(),
        "STRING": pa.string(),
        "INT64": pa.int64(),
        "FLOAT64": pa.float64(),
        "BOOL": pa.bool_(),
        "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    }
    schema = pa.schema([(field.name, arrow_types[field.field_type]) for field in fields])
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(rows, schema=schema, preserve_index=False), buffer)
    return buffer


def _bigquery_type(column: str, sql_type: str) -> str:
    try:
        return BIGQUERY_TYPES[sql_type.upper()]
    except KeyError:
        raise ValueError(f"column {column!r}: no BigQuery type for {sql_type!r}") from None


def _parameter(value) -> bigquery.ScalarQueryParameter:
    """A positional (`?`) query parameter typed from its Python value."""
    import pandas as pd
    from google.cloud import bigquery

    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, bool):
        kind = "BOOL"
    elif isinstance(value, int):
        kind = "INT64"
    elif isinstance(value, float):
        kind = "FLOAT64"
    elif isinstance(value, str):
        kind = "STRING"
    elif isinstance(value, dt.datetime):
        kind = "TIMESTAMP" if value.tzinfo else "DATETIME"
    elif isinstance(value, dt.date):
        kind = "DATE"
    else:
        raise TypeError(f"no BigQuery parameter type for {value!r} ({type(value).__name__})")
    return bigquery.ScalarQueryParameter(None, kind, value)
