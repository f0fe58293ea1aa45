"""Materialization metadata shared by Python and dbt assets: row count and a preview table."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster import MetadataValue, TableColumn, TableRecord, TableSchema

if TYPE_CHECKING:
    import pandas as pd

PREVIEW_ROWS = 10


def _plain(value):
    if value is None:
        return None
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def preview_metadata(frame: pd.DataFrame) -> dict:
    """A preview table of the first rows, shown in the asset's materialization in the UI."""
    head = frame.head(PREVIEW_ROWS)
    columns = [TableColumn(name=str(c), type=str(t)) for c, t in head.dtypes.items()]
    records = [TableRecord({str(k): _plain(v) for k, v in row.items()}) for row in head.to_dict(orient="records")]
    return {"preview": MetadataValue.table(records=records, schema=TableSchema(columns=columns))}


def window_metadata(context, counts_by_date: dict[str, int], preview: dict, asset_key=None) -> dict:
    """Row count and preview of what a run wrote, as materialization metadata.

    One date: both in the returned metadata, as for any run. A window of dates (a single-run
    backfill): each date's materialization gets that date's row count and the last date's also
    the preview, and nothing is returned for the whole window; otherwise every date's event would
    carry the window's total and its own copy of one preview table (a season: 538 copies of
    ~10 KB, seconds of event writing). `counts_by_date`: rows per partition key (absent = 0)."""
    from nba_assets.lib.partition_metadata import add_partition_metadata

    keys = context.partition_keys
    if len(keys) == 1:
        return {"dagster/row_count": int(counts_by_date.get(keys[0], 0)), **preview}
    add_partition_metadata(
        context,
        {
            key: {"dagster/row_count": int(counts_by_date.get(key, 0)), **(preview if key == keys[-1] else {})}
            for key in keys
        },
        asset_key,
    )
    return {}


def rows_by_date(frame: pd.DataFrame, column: str = "game_date") -> dict[str, int]:
    """Rows per date (partition key, YYYY-MM-DD) of a frame with a date column."""
    if frame.empty:
        return {}
    import pandas as pd

    return pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d").value_counts().to_dict()
