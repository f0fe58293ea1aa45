"""A landed file is what pandas' `to_csv` writes, byte for byte, with the UTC timestamps
formatted ahead by numpy (nba_assets/defs/ingest/raw.py `csv_ready`)."""

import io

import pandas as pd

from nba_assets.defs.ingest.raw import csv_ready


def _csv(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_csv(buffer, index=False, compression={"method": "gzip", "mtime": 0})
    return buffer.getvalue()


def test_utc_timestamps_are_written_as_pandas_writes_them():
    utc = pd.to_datetime(["2025-11-12T17:00:00Z", None, "2025-11-13T00:10:00Z"], utc=True)
    frame = pd.DataFrame(
        {"snapshot_time": utc, "player_name": ["Giannis Antetokounmpo", "A, B", None], "line": [6.5, None, 1.5]}
    )
    ready = csv_ready(frame)
    assert ready["snapshot_time"].tolist() == ["2025-11-12 17:00:00+00:00", "", "2025-11-13 00:10:00+00:00"]
    assert _csv(ready) == _csv(frame)
    assert frame["snapshot_time"].dtype == utc.dtype  # the caller's frame is not changed


def test_sub_second_or_other_zone_timestamps_are_left_to_pandas():
    frame = pd.DataFrame(
        {
            "fraction": pd.to_datetime(["2025-11-12T17:00:00.250Z", "2025-11-12T17:00:01.000Z"], utc=True),
            "eastern": pd.to_datetime(["2025-11-12T12:00:00", "2025-11-12T19:30:00"]).tz_localize("US/Eastern"),
            "naive": pd.to_datetime(["2025-11-12", "2025-11-13"]),
        }
    )
    ready = csv_ready(frame)
    assert ready.dtypes.equals(frame.dtypes)
    assert _csv(ready) == _csv(frame)
