"""`make staging-day DATE=...`: three simulated days of the schedules, launched by the daemon.

For each date of DATE..DATE+2 (and the morning after the last, which grades it), each schedule tick
of the day in time order (06:00 morning results, Monday 10:30 models, 12:45 pre-game): the
simulated clock is set to the tick (NBA_CLOCK_FILE, read by the code server, its runs and the
live APIs' stand-in), the schedule's own run requests for that tick are evaluated with Dagster's
public API (`build_schedule_context(scheduled_execution_time=...)`, `evaluate_tick`) and submitted to
the instance's queue through the webserver (Dagster's GraphQL client: `submit_job_execution`, as
the UI launches a run), with the tags the daemon gives a schedule's run. The daemon dequeues and
launches them in the code server; the driver only waits, saying what it waits for. After each
morning the clock moves one hour and the driver waits until the daemon's healing and alert
sensors have looked at the new state (a late box score is re-requested, its date re-graded).

Nothing is executed in this process: every run is the daemon's, with the sensors live.
At the end: per market what was fetched, predicted, graded and exported, the best bets, the
credits The Odds API reported, the alerts, and the wall time.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nba_assets.lib import tables
from nba_assets.lib.clock import GAME_TZ

LOCATION = "nba_assets"
REPOSITORY = "__repository__"
MORNING = "morning_results_schedule"
# Tags the daemon gives a schedule's run (dagster._core.storage.tags; stable strings).
SCHEDULE_NAME_TAG = "dagster/schedule_name"
PARTITION_TAG = "dagster/partition"
RUN_KEY_TAG = "dagster/run_key"
TICK_TAG = "nba/simulated_tick"
# The sensors that act on a day's state: what the driver waits for after the clock moves.
SETTLE_SENSORS = ("late_box_scores", "heal_late_data", "failure_alerts")
IN_FLIGHT = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
SAY_EVERY_SECONDS = 10.0


def say(message: str) -> None:
    print("\n".join(f"[staging-day] {line}" for line in message.splitlines()), flush=True)


# --- the ticks ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tick:
    moment: dt.datetime  # US Eastern
    schedule_name: str

    def __str__(self) -> str:
        return f"{self.moment:%a %Y-%m-%d %H:%M} ET {self.schedule_name}"


def _cron_matches(cron: str, moment: dt.datetime) -> bool:
    """`minute hour * * day-of-week` crons (the schedules' shape); anything else is an error."""
    minute, hour, dom, month, dow = cron.split()
    if dom != "*" or month != "*" or not minute.isdigit() or not hour.isdigit():
        raise ValueError(f"cron {cron!r}: only 'M H * * DOW' schedules are simulated")
    cron_dow = (moment.weekday() + 1) % 7  # cron: 0 = Sunday
    return (
        int(minute) == moment.minute
        and int(hour) == moment.hour
        and (dow == "*" or cron_dow in {int(d) % 7 for d in dow.split(",")})
    )


def _fire_times(cron: str, day: dt.date) -> list[dt.datetime]:
    minute, hour = int(cron.split()[0]), int(cron.split()[1])
    moment = dt.datetime.combine(day, dt.time(hour, minute), GAME_TZ)
    return [moment] if _cron_matches(cron, moment) else []


def schedule_ticks(schedules: Iterable, first: dt.date, days: int) -> list[Tick]:
    """Every tick of `schedules` on first..first+days-1, then the morning after the last date (its
    results: the last date graded), in time order."""
    ticks = []
    for offset in range(days + 1):
        day = first + dt.timedelta(days=offset)
        for schedule in schedules:
            if offset == days and schedule.name != MORNING:
                continue
            if schedule.execution_timezone not in (None, "America/New_York"):
                raise ValueError(f"{schedule.name}: timezone {schedule.execution_timezone} is not simulated")
            ticks += [Tick(moment, schedule.name) for moment in _fire_times(schedule.cron_schedule, day)]
    return sorted(ticks, key=lambda t: (t.moment, t.schedule_name))


def run_requests(repository, schedule, tick: Tick) -> tuple[list, str | None]:
    """The schedule's own run requests for the tick (or its skip message)."""
    from dagster import build_schedule_context

    with build_schedule_context(scheduled_execution_time=tick.moment, repository_def=repository) as context:
        data = schedule.evaluate_tick(context)
    return list(data.run_requests or []), data.skip_message


# --- the clock and the layout's webserver -------------------------------------------------------


class SimulatedClock:
    """The moment in NBA_CLOCK_FILE (nba_assets/lib/clock.py), written whole (renamed into place),
    and the APIs' stand-in moved with it (`standin`: a StandinServer, or None)."""

    def __init__(self, path: Path, standin=None):
        self.path, self.standin = Path(path), standin

    def set(self, moment: dt.datetime) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        scratch = self.path.with_suffix(f".{os.getpid()}.tmp")
        scratch.write_text(moment.isoformat())
        scratch.replace(self.path)
        if self.standin is not None:
            self.standin.clock.set(moment)


def graphql(webserver_url: str, query: str, variables: dict | None = None) -> dict:
    import urllib.request

    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(
        f"{webserver_url}/graphql", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("errors"):
        raise RuntimeError(f"GraphQL errors: {answer['errors']}")
    return answer["data"]


# --- submitting and waiting --------------------------------------------------------------------


def existing_run(instance, schedule_name: str, run_key: str | None):
    """A run the schedule already made for this run key (the daemon launches a run key once)."""
    from dagster import RunsFilter

    if not run_key:
        return None
    runs = instance.get_runs(filters=RunsFilter(tags={SCHEDULE_NAME_TAG: schedule_name, RUN_KEY_TAG: run_key}), limit=1)
    return runs[0] if runs else None


def submit(layout, schedule, request, tick: Tick) -> str:
    """Queues the run request as the daemon would have: the schedule's job, config, partition and
    tags. Returns the run id."""
    tags = {
        **(request.tags or {}),
        SCHEDULE_NAME_TAG: schedule.name,
        TICK_TAG: tick.moment.isoformat(),
        **({PARTITION_TAG: request.partition_key} if request.partition_key else {}),
        **({RUN_KEY_TAG: request.run_key} if request.run_key else {}),
    }
    # The staging layout's submit: Dagster's GraphQL client through the webserver, as the UI.
    return layout.submit(schedule.job_name, tags=tags, run_config=request.run_config or {})


def describe(record) -> str:
    run = record.dagster_run
    partition = run.tags.get(PARTITION_TAG) or run.tags.get("dagster/asset_partition_range_start") or ""
    origin = (
        run.tags.get(SCHEDULE_NAME_TAG)
        or run.tags.get("dagster/sensor_name")
        or ("retry" if run.tags.get("dagster/parent_run_id") else "")
    )
    return f"{run.job_name} {partition} ({run.run_id[:8]}{', ' + origin if origin else ''})".replace("  ", " ")


def _steps_done(instance, run_id: str) -> int:
    from dagster import DagsterEventType

    return len(instance.get_records_for_run(run_id, of_type=DagsterEventType.STEP_SUCCESS).records)


def in_flight(instance) -> list:
    from dagster import DagsterRunStatus, RunsFilter

    statuses = [DagsterRunStatus(s) for s in IN_FLIGHT]
    return list(instance.get_run_records(filters=RunsFilter(statuses=statuses)))


def wait_for(
    instance,
    run_ids: list[str],
    timeout: float,
    what: str,
    say: Callable[[str], None] = say,
    others: bool = True,
) -> dict[str, str]:
    """Waits until the runs end (and, with `others`, every run in flight meanwhile, e.g. a
    sensor's), saying every few seconds which runs it waits for and in which state. Returns run id
    -> final status."""
    started = time.monotonic()
    last_said = -SAY_EVERY_SECONDS
    while True:
        records = {r.dagster_run.run_id: r for r in in_flight(instance)}
        pending = [run_id for run_id in run_ids if run_id in records] + [
            run_id for run_id in records if others and run_id not in run_ids
        ]
        elapsed = time.monotonic() - started
        if not pending:
            break
        if elapsed > timeout:
            raise TimeoutError(
                f"{what}: runs still in flight after {timeout:.0f}s: "
                + "; ".join(f"{describe(records[r])} {records[r].dagster_run.status.value}" for r in pending)
                + ". Is the daemon running (dagster-daemon)? See the runs in the UI."
            )
        if elapsed - last_said >= SAY_EVERY_SECONDS:
            last_said = elapsed
            say(
                f"{what}: waiting {elapsed:.0f}s for "
                + "; ".join(
                    f"{describe(records[r])} {records[r].dagster_run.status.value}"
                    + (
                        f" {_steps_done(instance, r)} steps done"
                        if records[r].dagster_run.status.value == "STARTED"
                        else ""
                    )
                    for r in pending
                )
            )
        time.sleep(1.0)
    return {run_id: instance.get_run_by_id(run_id).status.value for run_id in run_ids}


SENSOR_TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    __typename
    ... on Sensor { minIntervalSeconds sensorState { status ticks(limit: 5) { timestamp status runIds } } }
    ... on PythonError { message }
    ... on SensorNotFoundError { message }
  }
}"""
TICK_DONE = {"SUCCESS", "SKIPPED", "FAILURE"}


def sensor_ticks(layout, name: str) -> tuple[int, list[dict]]:
    answer = graphql(
        layout.webserver_url,
        SENSOR_TICKS,
        {"selector": {"repositoryLocationName": LOCATION, "repositoryName": REPOSITORY, "sensorName": name}},
    )["sensorOrError"]
    if answer["__typename"] != "Sensor":
        raise RuntimeError(f"sensor {name}: {answer.get('message', answer['__typename'])}")
    return answer["minIntervalSeconds"], answer["sensorState"]["ticks"]


def settle(layout, instance, what: str, timeout: float, say: Callable[[str], None] = say) -> list[str]:
    """Until the daemon has nothing more to do about the current state: no run in flight, and each
    settling sensor has finished a tick that began after the last run ended without requesting a
    run. Returns the ids of the runs the sensors launched meanwhile."""
    from dagster import RunsFilter

    deadline = time.monotonic() + timeout
    launched: list[str] = []
    while True:
        wait_for(instance, [], max(deadline - time.monotonic(), 1), what, say)
        since = time.time()
        last_said = time.monotonic()
        waiting = set(SETTLE_SENSORS)
        while waiting:
            for name in sorted(waiting):
                interval, ticks = sensor_ticks(layout, name)
                if any(t["timestamp"] >= since and t["status"] in TICK_DONE for t in ticks):
                    waiting.discard(name)
            if not waiting:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{what}: no tick of {', '.join(sorted(waiting))} after {timeout:.0f}s: is dagster-daemon running?"
                )
            if time.monotonic() - last_said >= SAY_EVERY_SECONDS:
                last_said = time.monotonic()
                say(f"{what}: waiting for the next tick of sensor(s) {', '.join(sorted(waiting))}")
            time.sleep(1.0)
        new = instance.get_run_records(filters=RunsFilter(created_after=dt.datetime.fromtimestamp(since, dt.UTC)))
        if not new:
            return launched
        for record in new:
            launched.append(record.dagster_run.run_id)
            say(f"{what}: the daemon launched {describe(record)}")


# --- the day -----------------------------------------------------------------------------------


@dataclass
class DayReport:
    first: dt.date
    last: dt.date
    runs: dict[str, str] = field(default_factory=dict)  # run id -> status (every run of the day)
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        return [run_id for run_id, status in self.runs.items() if status != "SUCCESS"]


def simulate(
    layout,
    instance,
    clock: SimulatedClock,
    first: dt.date,
    days: int = 3,
    defs=None,
    run_timeout: float = 900,
    say: Callable[[str], None] = say,
) -> DayReport:
    """Walks the ticks of first..first+days-1 (and the next morning) through the daemon of
    `layout` (nba_assets/cli/staging.py's Layout, started), whose instance is `instance`."""
    if defs is None:
        from nba_assets.definitions import defs
    started = time.monotonic()
    repository = defs.get_repository_def()
    schedules = {s.name: s for s in repository.schedule_defs}
    report = DayReport(first, first + dt.timedelta(days=days - 1))
    ticks = schedule_ticks(schedules.values(), first, days)
    say(f"{len(ticks)} schedule ticks from {ticks[0]} to {ticks[-1]}")
    for tick in ticks:
        schedule = schedules[tick.schedule_name]
        clock.set(tick.moment)
        requests, skip = run_requests(repository, schedule, tick)
        if not requests:
            say(f"{tick}: skipped ({skip})")
            report.skipped.append(f"{tick}: {skip}")
            continue
        run_ids = []
        for request in requests:
            earlier = existing_run(instance, schedule.name, request.run_key)
            if earlier is not None:
                say(
                    f"{tick}: run key {request.run_key} already has run {earlier.run_id[:8]} ({earlier.status.value}): not resubmitted"
                )
                report.runs[earlier.run_id] = earlier.status.value
                continue
            run_id = submit(layout, schedule, request, tick)
            say(f"{tick}: queued {schedule.job_name} {request.partition_key} (run {run_id[:8]})")
            run_ids.append(run_id)
        before = time.time()
        # After a morning run the clock moves on at once: waiting at 06:00 for the sensors' runs
        # too would let late_box_scores retry a late game every few seconds of an hour that,
        # simulated, has not passed. Other ticks wait for every run in flight.
        statuses = wait_for(instance, run_ids, run_timeout, str(tick), say, others=tick.schedule_name != MORNING)
        report.runs.update(statuses)
        for run_id, status in statuses.items():
            say(f"{tick}: run {run_id[:8]} {status}")
        _record_other_runs(instance, before, report)
        if tick.schedule_name == MORNING:
            # The next hour: the late-data sensor looks again; a late game's date heals.
            hour_later = tick.moment + dt.timedelta(hours=1)
            clock.set(hour_later)
            what = f"{hour_later:%a %Y-%m-%d %H:%M} ET (an hour after the morning run)"
            for run_id in settle(layout, instance, what, run_timeout, say):
                report.runs[run_id] = instance.get_run_by_id(run_id).status.value
    report.seconds = time.monotonic() - started
    return report


def _record_other_runs(instance, since: float, report: DayReport) -> None:
    """Runs the sensors launched while the tick's runs ran (e.g. freshness checks) count too."""
    from dagster import RunsFilter

    created = dt.datetime.fromtimestamp(since, dt.UTC)
    for record in instance.get_run_records(filters=RunsFilter(created_after=created)):
        if record.dagster_run.run_id not in report.runs and record.dagster_run.is_finished:
            report.runs[record.dagster_run.run_id] = record.dagster_run.status.value


# --- what the day did --------------------------------------------------------------------------

PER_MARKET_SQL = """
WITH fetched AS (
    SELECT market AS raw_market, count(*) AS lines, count(DISTINCT bookmaker) AS books
    FROM {prop_lines} WHERE game_date BETWEEN ? AND ? GROUP BY 1
),
predicted AS (
    SELECT market, count(*) AS predictions, count(p_over) AS priced
    FROM {predictions} WHERE game_date BETWEEN ? AND ? GROUP BY 1
),
graded AS (
    SELECT market, sum(CASE WHEN is_graded THEN 1 ELSE 0 END) AS graded FROM {accuracy}
    WHERE game_date BETWEEN ? AND ? GROUP BY 1
),
bets AS (
    SELECT market, count(*) AS best_bets FROM {best_bets} WHERE game_date BETWEEN ? AND ? GROUP BY 1
)
SELECT predicted.market, fetched.lines, fetched.books, predicted.predictions, predicted.priced,
       coalesce(graded.graded, 0) AS graded, coalesce(bets.best_bets, 0) AS best_bets
FROM predicted
LEFT JOIN fetched ON fetched.raw_market = {raw_market_of}
LEFT JOIN graded USING (market)
LEFT JOIN bets USING (market)
ORDER BY predicted.market
"""


def _raw_market_of() -> str:
    from nba_assets.lib.markets import PRICED_MARKETS

    return (
        "CASE predicted.market " + " ".join(f"WHEN '{m.market}' THEN '{m.raw_market}'" for m in PRICED_MARKETS) + " END"
    )


def per_market(warehouse, first: dt.date, last: dt.date):
    sql = PER_MARKET_SQL.format(
        prop_lines=warehouse.relation(*tables.PROP_LINES),
        predictions=warehouse.relation(*tables.MARKET_PROP_PREDICTIONS),
        accuracy=warehouse.relation(*tables.MARKET_PROP_ACCURACY),
        best_bets=warehouse.relation(*tables.BEST_BETS),
        raw_market_of=_raw_market_of(),
    )
    return warehouse.query(sql, [first, last] * 4)


def exported(landing_dir: Path, first: dt.date, last: dt.date) -> dict[str, int]:
    """Market -> predictions in the day's v1/predictions/{date}.json files."""
    counts: dict[str, int] = {}
    day = first
    while day <= last:
        path = landing_dir / "v1" / "predictions" / f"{day}.json"
        if path.exists():
            for item in json.loads(path.read_text())["predictions"]:
                counts[item["market"]] = counts.get(item["market"], 0) + 1
        day += dt.timedelta(days=1)
    return counts


def credits(instance, first: dt.date, last: dt.date) -> dict[str, float]:
    """The Odds API credits of raw_prop_lines' metadata (the live source records the usage headers
    there): `*_spent` summed over the days' materializations, the other counters as of the last."""
    from dagster import AssetKey, AssetRecordsFilter

    keys = [(first + dt.timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("raw_prop_lines"), asset_partitions=keys), limit=1000
    ).records
    totals: dict[str, float] = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        for key, value in record.asset_materialization.metadata.items():
            number = getattr(value, "value", None)
            if "credit" in key and isinstance(number, int | float) and not isinstance(number, bool):
                # Credits spent add up over the runs; the account's counters are as of the last run.
                totals[key] = totals.get(key, 0) + number if key.endswith("_spent") else number
    return totals


def health_summary(instance, day: dt.date) -> str | None:
    from dagster import AssetKey, AssetRecordsFilter

    records = instance.fetch_materializations(
        AssetRecordsFilter(asset_key=AssetKey("daily_health_summary"), asset_partitions=[day.isoformat()]), limit=1
    ).records
    if not records:
        return None
    metadata = records[0].asset_materialization.metadata
    return f"{metadata['summary'].value}\n(sent to {metadata['sent_to'].value})"


def format_report(report: DayReport, warehouse, landing_dir: Path, instance) -> str:
    frame = per_market(warehouse, report.first, report.last)
    exports = exported(landing_dir, report.first, report.last)
    header = (
        f"{'market':<14}{'lines':>8}{'books':>6}{'predicted':>10}{'priced':>8}{'graded':>8}{'exported':>9}{'bets':>6}"
    )
    lines = [f"Per market, {report.first}..{report.last}:", header, "-" * len(header)]
    for r in frame.itertuples():
        lines.append(
            f"{r.market:<14}{int(r.lines or 0):>8}{int(r.books or 0):>6}{int(r.predictions):>10}"
            f"{int(r.priced):>8}{int(r.graded):>8}{exports.get(r.market, 0):>9}{int(r.best_bets):>6}"
        )
    lines.append(
        "lines: prop lines fetched (every book and snapshot); predicted/priced: predictions, those with "
        "a probability; graded: predictions compared with the box score; exported: in v1/predictions/{date}.json; bets: best bets."
    )
    spent = credits(instance, report.first, report.last)
    lines.append(
        "The Odds API credits: "
        + (", ".join(f"{k} {v:g}" for k, v in sorted(spent.items())) if spent else "none recorded by the source")
    )
    statuses: dict[str, int] = {}
    for status in report.runs.values():
        statuses[status] = statuses.get(status, 0) + 1
    lines.append(f"Runs: {len(report.runs)} ({', '.join(f'{n} {s}' for s, n in sorted(statuses.items()))})")
    summary = health_summary(instance, report.last)
    lines += ["", summary or f"No health summary for {report.last}."]
    lines.append(f"\nWall time: {report.seconds:.0f}s for {(report.last - report.first).days + 1} simulated days.")
    return "\n".join(lines)


# --- faults, history, the whole day ------------------------------------------------------------


def inject_faults(standin, late_day: dt.date) -> list[str]:
    """A 429 storm on The Odds API, a 5xx from balldontlie, and one game of `late_day` whose box
    score is published an hour after the rest of its date's (after the morning run that loads it)."""
    from resources.sources.standin.faults import FaultRule

    standin.faults.add(FaultRule(kind="429", api="odds", times=3, retry_after=1))
    standin.faults.add(FaultRule(kind="5xx", api="balldontlie", status=503, times=1))
    far = dt.datetime.combine(late_day + dt.timedelta(days=30), dt.time(), GAME_TZ)
    games = standin.apis.bdl_games([late_day], far, lambda _: 0.0)
    if not games:
        raise ValueError(f"no game on {late_day} in the archive to publish late")
    late = games[-1]
    late_id = f"{int(late['id']):010d}"
    standin.faults.late_box_score(late_id, hours=1)
    return [
        "The Odds API: 3 answers 429 with Retry-After: 1",
        "balldontlie: one answer 503",
        f"game {late_id} of {late_day} ({late['visitor_team']['abbreviation']} @ {late['home_team']['abbreviation']}): "
        "box score published an hour after its date's (07:00 ET)",
    ]


def has_history(duckdb_path: Path, before: dt.date) -> bool:
    """Whether the warehouse has the box scores of the date before `before` (the history a day needs)."""
    if not duckdb_path.exists():
        return False
    from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

    warehouse = DuckDBWarehouse(database=str(duckdb_path))
    if not warehouse.table_exists(*tables.PLAYER_GAME_SUMMARY):
        return False
    row = warehouse.query(
        f"SELECT count(*) AS n FROM {warehouse.relation(*tables.PLAYER_GAME_SUMMARY)} WHERE game_date < ?", [before]
    )
    return bool(row["n"].iloc[0])


def replay_history(data_dir: Path, archive: Path, start: dt.date, end: dt.date) -> None:
    """The history before the simulated days, replayed from the archive (`make replay`'s run, in
    this process, on an ephemeral instance) into the layout's warehouse and landing folder."""
    from dagster import DagsterInstance

    from nba_assets.cli.replay import run_window
    from nba_assets.definitions import build_definitions
    from nba_assets.lib.environment import environ
    from resources.environments import local_resources

    duckdb_path = data_dir / "warehouse.duckdb"
    defs = build_definitions(local_resources(data_dir=data_dir, duckdb_path=duckdb_path, archive_dir=archive))
    instance = DagsterInstance.ephemeral()
    with environ(NBA_DUCKDB_PATH=str(duckdb_path)):  # dbt finds the file through it
        results = run_window(instance, start, end, defs=defs)
    if not all(result.success for result in results):
        raise RuntimeError(f"the history replay {start}..{end} failed: see the steps above")


@dataclass
class StagingDay:
    report: DayReport
    text: str
    runs: list  # every run record of the layout's instance
    faults: list[str]


def staging_environment(standin, clock_file: Path, last: dt.date, sensor_seconds: int) -> dict[str, str]:
    """What the layout's processes need for a simulated day, on top of the layout's own."""
    return {
        **standin.live_source_env(),  # NBA_SOURCE=live, the stand-ins' URLs, their keys
        "NBA_CLOCK_FILE": str(clock_file),
        "NBA_SENSOR_SECONDS": str(sensor_seconds),
        # The partitions end with the last simulated date: the healing condition's "latest time
        # window" is the simulated days' (Dagster's evaluation time is the wall clock).
        "NBA_PARTITIONS_END": (last + dt.timedelta(days=1)).isoformat(),
    }


def run_staging_day(
    root: Path,
    archive: Path,
    first: dt.date,
    days: int = 3,
    *,
    history_start: dt.date | None = None,
    faults: bool = False,
    sensor_seconds: int = 5,
    extra_env: dict[str, str] | None = None,
    durable: bool = True,
    say: Callable[[str], None] = say,
) -> StagingDay:
    """The whole day: the stand-in, the layout (started here, stopped at the end), the history if
    the warehouse lacks it, the ticks, the report."""
    from nba_assets.cli.staging import Layout, Settings, stop
    from resources.sources.standin.server import StandinServer
    from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

    last = first + dt.timedelta(days=days - 1)
    layout_root = Path(root).resolve()
    data_dir = layout_root / "data"
    duckdb_path = data_dir / "warehouse.duckdb"
    if not has_history(duckdb_path, first):
        start = history_start or dt.date.fromisoformat("2024-10-22")
        say(f"the warehouse has no history before {first}: replaying {start}..{first - dt.timedelta(days=1)} first")
        replay_history(data_dir, archive, start, first - dt.timedelta(days=1))
    clock_file = layout_root / "clock"
    with StandinServer(archive, dt.datetime.combine(first, dt.time(5), GAME_TZ)) as standin:
        clock = SimulatedClock(clock_file, standin)
        clock.set(dt.datetime.combine(first, dt.time(5), GAME_TZ))
        injected = inject_faults(standin, first + dt.timedelta(days=1)) if faults else []
        for line in injected:
            say(f"fault: {line}")
        env = {**staging_environment(standin, clock_file, last, sensor_seconds), **(extra_env or {})}
        # A layout left running by an earlier day points at another stand-in: stopped first.
        stop(layout_root)
        layout = Layout(layout_root, Settings(archive=Path(archive), durable=durable, extra_env=env))
        say(f"stand-in APIs on {standin.url}; starting the layout in {layout_root} ...")
        try:
            layout.start()
            say(
                f"layout up: PostgreSQL, code server, daemon, webserver {layout.webserver_url} (logs: {layout.run_dir})"
            )
            with layout.instance() as instance:
                report = simulate(layout, instance, clock, first, days, say=say)
                text = format_report(report, DuckDBWarehouse(database=str(duckdb_path)), data_dir, instance)
                runs = list(instance.get_run_records())
        finally:
            say("stopping the layout: " + (", ".join(stop(layout_root)) or "nothing running"))
    return StagingDay(report, text, runs, injected)


def main(argv: list[str] | None = None) -> int:
    import argparse
    import warnings

    from nba_assets.lib.paths import DEFAULT_ARCHIVE, PROJECT_ROOT

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--date", type=dt.date.fromisoformat, required=True, help="the first simulated date")
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--root", type=Path, default=PROJECT_ROOT / ".data" / "staging-day")
    parser.add_argument("--archive", type=Path, default=Path(DEFAULT_ARCHIVE))
    parser.add_argument(
        "--history-start",
        type=dt.date.fromisoformat,
        default=dt.date(2024, 10, 22),
        help="first date of the history replayed when the warehouse has none before --date",
    )
    parser.add_argument("--faults", action="store_true", help="inject a 429 storm, a 5xx and one late box score")
    parser.add_argument(
        "--sensor-seconds", type=int, default=5, help="the healing and alert sensors' interval (NBA_SENSOR_SECONDS)"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", module="dagster")
    from nba_assets.cli.staging import missing

    why = missing()
    if why:
        say(f"cannot start the staging layout: {why}")
        return 1
    day = run_staging_day(
        args.root,
        args.archive,
        args.date,
        args.days,
        history_start=args.history_start,
        faults=args.faults,
        sensor_seconds=args.sensor_seconds,
    )
    print(day.text, flush=True)
    return 1 if day.report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
