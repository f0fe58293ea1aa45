"""The operations clock: real time, or the replay clock (NBA_REPLAY_NOW) when one is set.

Sensors that judge lateness (freshness deadlines, late box scores) ask this clock, so a replay of
the archive can be walked through a game day; the replay source reads the same variable.

NBA_CLOCK_FILE names a file holding the moment instead (one ISO datetime): a clock that moves while
the processes run. The simulated day (nba_assets/cli/staging_day.py) writes it before each schedule
tick, and the code server, the runs it launches and their sensors read it at every call: a variable
is fixed when a process starts, and the daemon's processes start once.
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
    """Now in US Eastern: NBA_REPLAY_NOW if set, else the moment in NBA_CLOCK_FILE, else the wall clock."""
    configured = os.environ.get("NBA_REPLAY_NOW") or _clock_file_moment()
    return parse_moment(configured) if configured else dt.datetime.now(GAME_TZ)


def _clock_file_moment() -> str | None:
    path = os.environ.get("NBA_CLOCK_FILE")
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as file:
            return file.read().strip() or None
    except FileNotFoundError:
        # Named but never written: an error, not the wall clock (a simulated day would otherwise
        # judge the archive's dates as years late, silently).
        raise FileNotFoundError(f"NBA_CLOCK_FILE={path} does not exist: write an ISO datetime to it") from None


def game_date(moment: dt.datetime) -> dt.date:
    """The US-Eastern calendar date of a moment (the partition key of that day's games)."""
    return moment.astimezone(GAME_TZ).date()
