"""Storage of the project's Dagster instance: Dagster's SQLite storage, without a disk flush per event.

Dagster's SQLite event log opens a connection for every event, commits and closes it; closing the
last connection of a WAL database checkpoints it to disk. A single-run backfill writes a planned
and a materialization event per asset and date (about 12,000 for a season), at 5-35 ms each on a
shared 2-core machine: more time than the pipeline's own work. Here each database file keeps an
open connection and commits with `synchronous=NORMAL` (WAL mode: a commit is appended to the log
without waiting for the disk; a power cut may lose the last events, never corrupt the file), so an
event costs well under a millisecond of storage time.

Same files and layout as Dagster's default storage (`$DAGSTER_HOME/history`, `schedules`), so an
existing instance keeps its runs. Configured in dagster.yaml:

    storage:
      custom:
        module: resources.instance.storage
        class: LocalSqliteStorage
        config:
          base_dir: {env: DAGSTER_HOME}
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as db
from dagster._core.events import ASSET_CHECK_EVENTS, ASSET_EVENTS, EVENT_TYPE_TO_PIPELINE_RUN_STATUS
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster._core.storage.event_log.polling_event_watcher import SqlPollingEventWatcher
from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable, SqlEventLogStorageTable
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs import SqliteRunStorage
from dagster._core.storage.schedules import SqliteScheduleStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData, serialize_value
from dagster._utils import mkdir_p

# Open run databases kept per process (the index database is always kept): the current run's,
# and a few the UI may be reading. Older ones are closed (and checkpointed) when evicted.
OPEN_RUN_DATABASES = 4
# Events per batch write (a batch is also written at its end: a planned set, one output's partitions).
EVENT_BATCH_SIZE = 1000


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` with one long-lived engine per database file (index and runs)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self._engines: OrderedDict[str, db.engine.Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        self._poller: SqlPollingEventWatcher | None = None
        self._known_tables: set[str] = set()
        self._known_asset_key_columns: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> db.engine.Engine:
        with self._engines_lock:
            engine = self._engines.get(shard)
            if engine is not None:
                self._engines.move_to_end(shard)
                return engine
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _no_flush_per_commit)
            self._engines[shard] = engine
            run_shards = [name for name in self._engines if name != INDEX_SHARD_NAME]
            for name in run_shards[:-OPEN_RUN_DATABASES]:
                self._engines.pop(name).dispose()
            return engine

    def _initdb(self, engine: db.engine.Engine, for_index_shard: bool = False) -> None:
        # Dagster's checks the database's alembic revision against the head of its migration
        # scripts, which it reads from disk (alembic's ScriptDirectory) at every database it opens:
        # ~20 ms per run database, and a run's health summary reads every run of the last 72 h.
        # For a database stamped with a revision that check does nothing (it only creates and
        # stamps unstamped ones; migrations are `dagster instance migrate`'s): one query says so.
        try:
            with engine.connect() as conn:
                stamped = conn.execute(db.text("SELECT version_num FROM alembic_version")).scalar()
        except db.exc.DBAPIError:
            stamped = None  # a new database: no tables yet
        if not stamped:
            super()._initdb(engine, for_index_shard=for_index_shard)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[db.engine.Connection]:
        # Same as the parent's, minus creating and disposing an engine per call.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def store_event_batch(self, events) -> None:
        """The parent's `store_event` for many events, in one transaction per database file
        instead of one per event. Dagster batches a run's planned events and each output's
        per-partition materializations (a season: ~500 events per asset) when
        DAGSTER_EVENT_BATCH_SIZE is set (`LocalSqliteStorage` sets it)."""
        rows = [self._event_to_row(event) for event in events]  # the event serialized once
        by_run: dict[str, list[dict]] = {}
        for row in rows:
            by_run.setdefault(row["run_id"], []).append(row)
        for run_id, run_rows in by_run.items():
            with self.run_connection(run_id) as conn:
                conn.execute(SqlEventLogStorageTable.insert(), run_rows)
        # Mirrored into the index database, as the parent does per event: asset events (with
        # their tags and the asset's latest-event columns), check events, run status events.
        mirrored = [
            (event, row)
            for event, row in zip(events, rows)
            if event.is_dagster_event
            and (
                event.dagster_event_type in ASSET_EVENTS
                or event.dagster_event_type in ASSET_CHECK_EVENTS
                or event.dagster_event_type in EVENT_TYPE_TO_PIPELINE_RUN_STATUS
            )
        ]
        if not mirrored:
            return
        check_events, latest, asset_events = [], {}, []
        with self.index_transaction() as conn:
            # One multi-row INSERT ... RETURNING (ids in the rows' order) instead of a statement per
            # event, and the asset events' tags in one more (measured: ~15 us an event, ~0.4 s a season).
            insert = SqlEventLogStorageTable.insert().returning(
                SqlEventLogStorageTable.c.id, sort_by_parameter_order=True
            )
            event_ids = [row.id for row in conn.execute(insert, [row for _, row in mirrored])]
            for (event, _), event_id in zip(mirrored, event_ids, strict=True):
                if event.dagster_event_type in ASSET_EVENTS:
                    asset_events.append((event, event_id))
                    latest[(event.dagster_event.asset_key, event.dagster_event_type)] = (event, event_id)
                elif event.dagster_event_type in ASSET_CHECK_EVENTS:
                    check_events.append((event, event_id))
            if asset_events:
                self._store_asset_event_tags(conn, *map(list, zip(*asset_events)))
            # The asset's row keeps only its latest event of each kind: write that one (as
            # Dagster's Postgres storage does for batches).
            for event, event_id in latest.values():
                self._store_asset_event(conn, event, event_id)
        for event, event_id in check_events:  # these open their own index connection
            self.store_asset_check_event(event, event_id)

    def _store_asset_check_evaluation_planned(self, event, event_id) -> None:
        """The parent's, inserting the same rows (one per planned partition) with the event
        serialized once rather than once per partition, as one executemany rather than one
        statement compiled with ~500 VALUES tuples."""
        planned = event.dagster_event.event_specific_data
        partitions = planned.partitions_subset.get_partition_keys() if planned.partitions_subset else [None]
        common = dict(
            asset_key=planned.asset_key.to_string(),
            check_name=planned.check_name,
            run_id=event.run_id,
            execution_status=AssetCheckExecutionRecordStatus.PLANNED.value,
            evaluation_event=serialize_value(event),
            evaluation_event_timestamp=self._event_insert_timestamp(event),
            evaluation_event_storage_id=event_id,
        )
        with self.index_connection() as conn:
            conn.execute(
                AssetCheckExecutionsTable.insert(), [{**common, "partition": partition} for partition in partitions]
            )

    # Schema probes the parent repeats for every asset event (a new engine per `has_table`, a
    # column reflection per event) to support instances older than its schema. Tables and columns
    # that exist keep existing, so a positive answer is remembered.
    def has_table(self, table_name: str) -> bool:
        if table_name in self._known_tables:
            return True
        found = super().has_table(table_name)
        if found:
            self._known_tables.add(table_name)
        return found

    def _has_asset_key_col_on_connection(self, conn, column_name: str) -> bool:
        if column_name in self._known_asset_key_columns:
            return True
        found = super()._has_asset_key_col_on_connection(conn, column_name)
        if found:
            self._known_asset_key_columns.add(column_name)
        return found

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()  # the parent deletes the run files
        self._known_tables.clear()
        self._known_asset_key_columns.clear()
        super().wipe()

    # The parent's watcher reacts to writes of `<run>.db`; with open connections, writes go to
    # `<run>.db-wal` until a checkpoint. Poll instead, as Dagster's Postgres storage does.
    def watch(self, run_id: str, cursor: str | None, callback) -> None:
        if self._poller is None:
            self._poller = SqlPollingEventWatcher(self)
        self._poller.watch_run(run_id, cursor, callback)

    def end_watch(self, run_id: str, handler) -> None:
        if self._poller is not None:
            self._poller.unwatch_run(run_id, handler)

    def dispose(self) -> None:
        if self._poller is not None:
            self._poller.close()
        self._dispose_engines()
        super().dispose()


def _no_flush_per_commit(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class LocalSqliteStorage(DagsterSqliteStorage):
    """Dagster's default SQLite storage (runs, schedules) with the pooled event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None):
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = PooledSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()
        # Dagster buffers batchable events (planned, per-partition materializations) and hands
        # them to `store_event_batch` only when this is set; read per event by the instance.
        os.environ.setdefault("DAGSTER_EVENT_BATCH_SIZE", str(EVENT_BATCH_SIZE))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> LocalSqliteStorage:
        mkdir_p(config_value["base_dir"])
        return cls(inst_data=inst_data, **config_value)
