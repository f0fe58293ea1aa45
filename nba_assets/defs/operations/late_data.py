"""Late box scores: retry a recent date whose final games lack box scores, a bounded number of times.

The seed system's auto-retry queue and failed_processor_queue, as one sensor. Every hour it asks
the warehouse which final games of the last LOOKBACK_DAYS dates (on the operations clock) have no
box-score rows, and requests `raw_player_boxscores` for each such date. When the missing game
arrives, the re-run passes its completeness check and the automation conditions
(nba_assets/defs/operations/automation.py) carry the date through analytics and grading with no one acting.
After MAX_ATTEMPTS a date is reported once as permanently failed and no longer retried.
"""

import datetime as dt
import json

from dagster import (
    AssetKey,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from nba_assets.defs.operations.health import UNFINISHED
from nba_assets.lib import box_scores, clock
from nba_assets.lib.automation import sensor_interval
from nba_assets.lib.partitions import daily_partitions
from resources.alerts import AlertChannel
from resources.interfaces import Warehouse

LOOKBACK_DAYS = 3
MAX_ATTEMPTS = 12


def dates_in_flight(instance) -> set[str]:
    """Dates (partition keys) of the runs not finished: their partition, or every date of their range.
    Such a date is looked at again next tick: the 06:00 run loads the final schedule a step before
    the box scores, and a tick in between saw every game missing and re-requested the date while
    its own run was loading it."""
    busy: set[str] = set()
    for run in instance.get_runs(filters=RunsFilter(statuses=UNFINISHED)):
        first = run.tags.get("dagster/asset_partition_range_start") or run.tags.get("dagster/partition")
        last = run.tags.get("dagster/asset_partition_range_end") or first
        if not first:
            continue
        day, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
        while day <= end:
            busy.add(day.isoformat())
            day += dt.timedelta(days=1)
    return busy


def games_missing_box_scores(warehouse: Warehouse, first: dt.date, last: dt.date) -> dict[str, list[str]]:
    """{date: [game descriptions]} of final games from first..last without rows for a team (the
    rule: nba_assets/lib/box_scores.py)."""
    sides = box_scores.missing_sides(warehouse, first, last + dt.timedelta(days=1))
    missing: dict[str, list[str]] = {}
    for row in sides.drop_duplicates(["game_date", "game_id"]).itertuples():
        missing.setdefault(f"{row.game_date:%Y-%m-%d}", []).append(
            f"{row.game_id} ({row.away_team_abbr} @ {row.home_team_abbr})"
        )
    return missing


@sensor(
    name="late_box_scores",
    minimum_interval_seconds=sensor_interval(3600),
    default_status=DefaultSensorStatus.RUNNING,
    asset_selection=[AssetKey("raw_player_boxscores")],
    description=f"Hourly: re-requests raw_player_boxscores for dates of the last {LOOKBACK_DAYS} "
    f"days whose final games lack box scores; after {MAX_ATTEMPTS} attempts the date is reported "
    "as permanently failed.",
)
def late_box_scores(context: SensorEvaluationContext, warehouse: Warehouse, alerts: AlertChannel):
    today = clock.game_date(clock.now())
    first, last = today - dt.timedelta(days=LOOKBACK_DAYS), today - dt.timedelta(days=1)
    try:
        missing = games_missing_box_scores(warehouse, first, last)
    except Exception as err:  # noqa: BLE001 - e.g. a run holds the DuckDB lock: try next tick
        return SkipReason(f"Warehouse not readable now ({type(err).__name__}: {str(err)[:200]}).")
    state = json.loads(context.cursor) if context.cursor else {}
    attempts, given_up = state.get("attempts", {}), set(state.get("given_up", []))
    known = set(daily_partitions.get_partition_keys())
    busy = dates_in_flight(context.instance) if missing else set()
    requests = []
    for date, games in missing.items():
        if date in given_up or date not in known or date in busy:
            continue
        if attempts.get(date, 0) >= MAX_ATTEMPTS:
            alerts.send(
                f":rotating_light: *Permanently failed*: box scores for {date} still missing "
                f"after {MAX_ATTEMPTS} attempts: {', '.join(games)}. Retries stopped; "
                "re-run raw_player_boxscores for that date by hand once the source has them.",
                context.log,
            )
            given_up.add(date)
            continue
        attempts[date] = attempts.get(date, 0) + 1
        requests.append(
            RunRequest(
                partition_key=date,
                run_key=f"late-box-scores-{date}-{attempts[date]}",
                tags={"nba/late_box_scores_attempt": str(attempts[date]), "nba/missing_games": ", ".join(games)[:200]},
            )
        )
    # Dates that healed, or left the lookback, are forgotten.
    attempts = {d: n for d, n in attempts.items() if d in missing}
    cursor = json.dumps({"attempts": attempts, "given_up": sorted(given_up & set(missing))})
    if not requests:
        context.update_cursor(cursor)
        waiting = sorted(set(missing) & busy)
        return SkipReason(
            f"No late box scores to retry ({len(missing)} dates missing games, {len(given_up)} given up"
            + (f"; a run of {', '.join(waiting)} is in flight: looked at again next tick" if waiting else "")
            + ")."
        )
    return SensorResult(run_requests=requests, cursor=cursor)
