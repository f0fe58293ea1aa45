"""Partitions: one per US-Eastern game date.

History starts with the 2024-25 season (2024-10-22) so that early 2025-26 features have a prior
season behind them. The replay archive ends with the 2025-26 playoffs (last box score 2026-04-23),
so by default the partitions end there (`end_date` is exclusive). Set `NBA_PARTITIONS_END`
(YYYY-MM-DD, exclusive) to extend them when you add archive files with later dates, or to `open`
for a live deployment where today's partition must exist before tip-off.
"""

import os

import datetime as dt

from dagster import DailyPartitionsDefinition, WeeklyPartitionsDefinition

FIRST_GAME_DATE = "2024-10-22"
ARCHIVE_END_EXCLUSIVE = "2026-04-24"
GAME_TIMEZONE = "America/New_York"


def _end_date() -> str | None:
    configured = os.environ.get("NBA_PARTITIONS_END", ARCHIVE_END_EXCLUSIVE)
    return None if configured == "open" else configured


_end = _end_date()

daily_partitions = DailyPartitionsDefinition(
    start_date=FIRST_GAME_DATE,
    end_date=_end,
    timezone=GAME_TIMEZONE,
    # Today's partition must exist before tip-off, when lines are posted (the pre-game run), on
    # the wall clock and on the replay clock alike; a fixed end date still caps the range.
    end_offset=1,
)


def _weekly_end(daily_end: str | None) -> str | None:
    """The Monday after the week holding the last daily partition (exclusive end)."""
    if daily_end is None:
        return None
    last_day = dt.date.fromisoformat(daily_end) - dt.timedelta(days=1)
    return (last_day + dt.timedelta(days=7 - last_day.weekday())).isoformat()


# Weeks start on Monday (US Eastern): the points model of a week is trained before its Monday.
FIRST_WEEK = "2024-10-21"

weekly_partitions = WeeklyPartitionsDefinition(
    start_date=FIRST_WEEK,
    end_date=_weekly_end(_end),
    day_offset=1,
    timezone=GAME_TIMEZONE,
    end_offset=1,  # this week's model must exist during the week
)
