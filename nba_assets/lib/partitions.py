"""Partitions: one per US-Eastern game date, for every asset of the graph.

One partitions definition for everything (the points model and the reports included) is what makes
a backfill of any date range one run over the whole graph: Dagster puts assets of one partitions
definition with single-run backfill policies in one run, and walks from the range's roots only
through identity mappings, so it never leaves the range (README: How backfills work).

The partitions start with the first season the archive holds box scores and a schedule for
(2021-22, 2021-10-19): a replay can start in any season the archive covers (`make replay
START=2021-10-19 ...`; docs/data.md: the seasons and what each costs). `make replay`'s default
window starts with 2024-25 (2024-10-22), so that early 2025-26 features have a prior season behind
them; the archive has no box scores for 2022-23 and 2023-24 (their dates have no games to serve). The replay archive ends with the 2025-26 playoffs (last box score 2026-04-23),
so by default the partitions end there (`end_date` is exclusive). Set `NBA_PARTITIONS_END`
(YYYY-MM-DD, exclusive) to extend them when you add archive files with later dates, or to `open`
for a live deployment where today's partition must exist before tip-off.
"""

import os

from dagster import DailyPartitionsDefinition

FIRST_GAME_DATE = "2021-10-19"
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
