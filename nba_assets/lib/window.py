"""The run's window of game dates (a single-run backfill covers many dates at once)."""

import datetime as dt


def window_bounds(context) -> tuple[dt.date, dt.date]:
    """(first date, end date exclusive) of the run's partition window."""
    window = context.partition_time_window
    return window.start.date(), window.end.date()


def window_dates(context) -> list[dt.date]:
    start, end = window_bounds(context)
    return [start + dt.timedelta(days=i) for i in range((end - start).days)]
