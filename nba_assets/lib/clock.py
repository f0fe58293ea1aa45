"""The operations clock: real time, or the replay clock (NBA_REPLAY_NOW) when one is set.

Sensors that judge lateness (freshness deadlines, late box scores) ask this clock, so a replay of
the archive can be walked through a game day; the replay source reads the same variable.
"""

import datetime as dt
import os
from zoneinfo import ZoneInfo

# Game dates, partitions and deadlines are US Eastern (the NBA's schedule), everywhere.
GAME_TIMEZONE = "America/New_York"
GAME_TZ = ZoneInfo(GAME_TIMEZONE)


def parse_moment(value: str) -> dt.datetime:
    """An ISO datetime in US Eastern; a value without a time zone is taken as Eastern."""
    moment = dt.datetime.fromisoformat(value)
    return moment.replace(tzinfo=GAME_TZ) if moment.tzinfo is None else moment.astimezone(GAME_TZ)


def now() -> dt.datetime:
    """Now in US Eastern: NBA_REPLAY_NOW if set, else the wall clock."""
    configured = os.environ.get("NBA_REPLAY_NOW")
    return parse_moment(configured) if configured else dt.datetime.now(GAME_TZ)


def game_date(moment: dt.datetime) -> dt.date:
    """The US-Eastern calendar date of a moment (the partition key of that day's games)."""
    return moment.astimezone(GAME_TZ).date()
