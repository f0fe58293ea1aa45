"""The raw phase's text handling, done per distinct value for speed, gives what pandas' per-row
calls give: a landed file is `to_csv`'s, byte for byte, with the UTC timestamps formatted ahead
(nba_assets/defs/ingest/raw.py `csv_ready`); integer text is normalized as pandas' replace does
(nba_assets/lib/raw_tables.py `prepare_for_validation`)."""

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
    assert _csv(csv_ready(frame.iloc[:0])) == _csv(frame.iloc[:0])  # a date without lines
    missing = frame.assign(snapshot_time=pd.Series([pd.NaT] * len(frame), dtype=utc.dtype))
    assert _csv(csv_ready(missing)) == _csv(missing)


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


def test_integer_text_is_normalized_per_distinct_value_as_per_row():
    """Source text "11.0" is a valid integer ("11"); other text, numbers and missing values are
    what pandas' own per-row replace makes of them (raw_tables.prepare_for_validation)."""
    import numpy as np

    from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, prepare_for_validation

    points = ["11.0", "-3.00", "7", None, np.nan, "x.5", "2.5", 5, "11.0", "0.0"]
    rows = pd.DataFrame({name: [None] * len(points) for name in PLAYER_BOXSCORES.column_types}).assign(points=points)
    prepared = prepare_for_validation(PLAYER_BOXSCORES, rows)
    per_row = pd.Series(points, dtype=object).str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True)
    assert prepared["points"].tolist()[:3] == ["11", "-3", "7"]
    pd.testing.assert_series_equal(prepared["points"], per_row, check_names=False)
    assert rows["points"].tolist()[0] == "11.0"  # the caller's frame is not changed
    assert prepared["rebounds"].tolist() == rows["rebounds"].str.replace("x", "y").tolist()  # all missing
