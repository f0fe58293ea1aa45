"""daily_health_summary: the seed's morning health report, as an asset.

For the 3 game dates ending at the partition: box-score coverage (final games with box scores for
both teams), feature availability (lines of every market whose player has a feature row), grading coverage,
and the failed checks and late assets recorded in the last 72 hours. Shown as Markdown metadata in
the UI and sent to Slack when a bot token is configured.
"""

import datetime as dt
import time
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckKey,
    AssetExecutionContext,
    DagsterEventType,
    DagsterRunStatus,
    MaterializeResult,
    MetadataValue,
    RunsFilter,
    asset,
)

from nba_assets.defs.operations.freshness import DEADLINES
from nba_assets.defs.operations.pick_health import pick_health
from nba_assets.lib import box_scores, tables
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.window import window_bounds
from resources.alerts import AlertChannel
from resources.interfaces import Warehouse

if TYPE_CHECKING:
    import pandas as pd

DAYS = 3
# grading_coverage_daily's statuses, worst first.
COVERAGE_STATUSES = ("POOR", "ACCEPTABLE", "GOOD", "EXCELLENT")
CHECK_HOURS = 72
FRESHNESS_CHECKS = {d.check_name for d in DEADLINES}


def coverage_by_date(warehouse: Warehouse, first: dt.date, last: dt.date) -> "pd.DataFrame":
    """One row per date of first..last: box-score, feature and grading coverage."""
    import pandas as pd

    rel = warehouse.relation
    window = "game_date >= ? AND game_date <= ?"
    # One rule for "final games lacking box scores" (nba_assets/lib/box_scores.py).
    after = last + dt.timedelta(days=1)
    finals = box_scores.final_games_per_date(warehouse, first, after)
    lacking: dict[str, int] = {}
    for row in box_scores.missing_sides(warehouse, first, after).drop_duplicates(["game_date", "game_id"]).itertuples():
        lacking[str(row.game_date)[:10]] = lacking.get(str(row.game_date)[:10], 0) + 1
    finals["games_with_box_scores"] = [
        int(n) - lacking.get(str(day)[:10], 0) for day, n in zip(finals["game_date"], finals["final_games"])
    ]
    features = warehouse.query(
        f"""
        SELECT l.game_date, count(*) AS players_with_lines, count(f.player_lookup) AS players_with_features
        FROM {rel(*tables.MARKET_LINES_CONSENSUS)} l
        LEFT JOIN {rel(*tables.PLAYER_MARKET_FEATURES)} f
            ON f.game_date = l.game_date AND f.player_lookup = l.player_lookup AND f.market = l.market
        WHERE l.game_date >= ? AND l.game_date <= ?
        GROUP BY l.game_date
        """,
        [first, last],
    )
    per_market = warehouse.query(
        f"SELECT game_date, gradable, graded, status FROM {rel(*tables.GRADING_COVERAGE_DAILY)} WHERE {window}",
        [first, last],
    )
    # Per date over its markets: the totals, and the status of its worst market.
    rank = {status: i for i, status in enumerate(COVERAGE_STATUSES)}
    grading = (
        per_market.assign(rank=per_market["status"].map(rank))
        .groupby("game_date", as_index=False)
        .agg(gradable=("gradable", "sum"), graded=("graded", "sum"), rank=("rank", "min"))
    )
    grading["grading_coverage_pct"] = (100.0 * grading["graded"] / grading["gradable"]).round(1)
    grading["grading_status"] = [COVERAGE_STATUSES[int(i)] for i in grading["rank"]]
    grading = grading.drop(columns="rank")
    days = pd.DataFrame({"game_date": pd.date_range(first, last, freq="D")})
    for part in (finals, features, grading):
        part["game_date"] = pd.to_datetime(part["game_date"])
        days = days.merge(part, on="game_date", how="left")
    counts = ["final_games", "games_with_box_scores", "players_with_lines", "players_with_features"]
    days[counts] = days[counts].fillna(0).astype(int)
    return days


# Runs not finished: their events may be newer than their last status change.
UNFINISHED = [
    DagsterRunStatus.QUEUED,
    DagsterRunStatus.NOT_STARTED,
    DagsterRunStatus.STARTING,
    DagsterRunStatus.STARTED,
    DagsterRunStatus.CANCELING,
]


def failed_checks(instance, since: float) -> dict[AssetCheckKey, str]:
    """Check keys whose latest evaluation since `since` failed -> its description.

    Read from the runs that can hold such an evaluation (changed status since then, or not
    finished), each run's log once: a query over every run's events opened the event database of
    every run the instance ever had (SQLite keeps one per run, ~50 ms each to open), a cost that
    grew with the instance's history."""
    since_dt = dt.datetime.fromtimestamp(since, tz=dt.UTC)
    runs = {record.dagster_run.run_id for record in instance.get_run_records(RunsFilter(updated_after=since_dt))}
    runs |= {run.run_id for run in instance.get_runs(RunsFilter(statuses=UNFINISHED))}
    entries = [
        record.event_log_entry
        for run_id in runs
        for record in instance.get_records_for_run(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION).records
        if record.event_log_entry.timestamp > since
    ]
    latest = {}
    for entry in sorted(entries, key=lambda entry: entry.timestamp):
        evaluation = entry.dagster_event.event_specific_data
        latest[evaluation.asset_check_key] = evaluation
    return {key: f"{e.severity.value}: {e.description or ''}"[:300] for key, e in latest.items() if not e.passed}


def _pct(part, whole) -> str:
    return f"{100.0 * part / whole:.0f}%" if whole else "n/a"


def render(last: dt.date, coverage: "pd.DataFrame", failed: dict[AssetCheckKey, str]) -> str:
    lines = [
        f"# NBA props health, {last - dt.timedelta(days=DAYS - 1)} to {last}",
        "",
        "| date | box scores | features | grading |",
        "|---|---|---|---|",
    ]
    for r in coverage.itertuples():
        grading = (
            f"{int(r.graded)}/{int(r.gradable)} ({r.grading_coverage_pct}%, {r.grading_status})"
            if r.gradable == r.gradable and r.gradable is not None
            else "not graded"
        )
        lines.append(
            f"| {r.game_date:%Y-%m-%d} | {r.games_with_box_scores}/{r.final_games} games "
            f"({_pct(r.games_with_box_scores, r.final_games)}) | {r.players_with_features}/"
            f"{r.players_with_lines} players ({_pct(r.players_with_features, r.players_with_lines)}) "
            f"| {grading} |"
        )
    late = {k: v for k, v in failed.items() if k.name in FRESHNESS_CHECKS}
    other = {k: v for k, v in failed.items() if k.name not in FRESHNESS_CHECKS}
    lines += ["", f"## Failed checks (last {CHECK_HOURS} h): {len(other)}"]
    lines += [f"- `{k.asset_key.to_user_string()}` {k.name}: {v}" for k, v in sorted(other.items(), key=str)] or [
        "- none"
    ]
    lines += ["", f"## Late assets: {len(late)}"]
    lines += [f"- `{k.asset_key.to_user_string()}` {k.name}: {v}" for k, v in sorted(late.items(), key=str)] or [
        "- none"
    ]
    return "\n".join(lines)


@asset(
    deps=[
        "raw_player_boxscores",
        "player_market_features",
        "grading_coverage_daily",
        "market_prop_predictions",
        "market_book_quotes",
    ],
    description=f"Markdown health report for the {DAYS} dates ending at the partition: box-score, "
    "feature and grading coverage, failed checks and late assets; sent to Slack when configured.",
    **partitioned("operations", {"duckdb", "slack"}),
)
@warehouse_session
def daily_health_summary(
    context: AssetExecutionContext, warehouse: Warehouse, alerts: AlertChannel
) -> MaterializeResult:
    _, end = window_bounds(context)
    last = end - dt.timedelta(days=1)
    coverage = coverage_by_date(warehouse, last - dt.timedelta(days=DAYS - 1), last)
    failed = failed_checks(context.instance, time.time() - CHECK_HOURS * 3600)
    report = render(last, coverage, failed) + "\n\n" + pick_health(warehouse, last - dt.timedelta(days=DAYS - 1), last)
    destination = alerts.send(report, context.log)
    latest = coverage.iloc[-1]
    return MaterializeResult(
        metadata={
            "summary": MetadataValue.md(report),
            "sent_to": destination,
            "failed_checks": len(failed),
            "box_score_coverage_pct": float(round(100.0 * latest["games_with_box_scores"] / latest["final_games"], 1))
            if latest["final_games"]
            else None,
            "grading_coverage_pct": None
            if latest["grading_coverage_pct"] != latest["grading_coverage_pct"]
            else float(latest["grading_coverage_pct"]),
        }
    )
