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


def preview_metadata(frame: "pd.DataFrame") -> dict:
    """A preview table of the first rows, shown in the asset's materialization in the UI."""
    head = frame.head(PREVIEW_ROWS)
    columns = [TableColumn(name=str(c), type=str(t)) for c, t in head.dtypes.items()]
    records = [
        TableRecord({str(k): _plain(v) for k, v in row.items()})
        for row in head.to_dict(orient="records")
    ]
    return {"preview": MetadataValue.table(records=records, schema=TableSchema(columns=columns))}
