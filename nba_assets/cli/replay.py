"""`make replay`: replays a window of the archive through the whole graph, then prints a per-date
summary. Runs go into the Dagster instance at DAGSTER_HOME, so the UI shows them.

    python -m nba_assets.cli.replay --start 2024-10-22 --end 2025-11-23

A thin client of what the UI launches: the `daily_pipeline` job (every asset of the graph) over
START..END as ONE run with the tags of a single-run range backfill
(`dagster/asset_partition_range_start`/`_end`), executed in this process (no daemon, no run
launcher), progress (steps done of total) printed as it goes. The graph decides the rest: the alias
seed, the models the dates use (a week that started on or before START and has a model keeps it;
`--retrain` checks it too), the reports as of END.

`--downstream` additionally runs `retrain_and_repredict` over the dates after END that already have
predictions: their models are refitted on the replayed history and their predictions, grading,
exports and reports redone. Without it, dates outside START..END are never touched.

`--figures` then draws the backtest report's figures as of END (`report_figures`, one more run of
one step; `make run` passes it): they are not part of the daily run
(nba_assets/defs/grading/backtest_plots.py).
"""

import argparse
import atexit
import contextlib
import datetime as dt
import gc
import os
import sys
import threading
import time
import warnings
from pathlib import Path

from nba_assets.lib import tables

# Portable SQL (DuckDB and BigQuery); tables named through the warehouse (dataset prefix, project).
SUMMARY_SQL = """
WITH games AS (
    SELECT game_date, count(*) AS games FROM {schedule}
    WHERE game_date BETWEEN ? AND ? GROUP BY game_date
),
players AS (
    SELECT game_date, count(*) AS player_rows FROM {boxscores}
    WHERE game_date BETWEEN ? AND ? GROUP BY game_date
),
graded AS (
    -- MAE of the predictions and of the line on the same rows (played, with both).
    SELECT
        game_date,
        sum(CASE WHEN line IS NOT NULL THEN 1 ELSE 0 END) AS lines,
        sum(CASE WHEN line IS NOT NULL THEN 1 ELSE 0 END) AS predictions,
        sum(CASE WHEN line IS NOT NULL AND predicted_value IS NULL THEN 1 ELSE 0 END) AS no_history,
        sum(CASE WHEN line IS NOT NULL AND is_graded THEN 1 ELSE 0 END) AS graded,
        sum(CASE WHEN result = 'WIN' THEN 1 ELSE 0 END) AS wins,
        sum(CASE WHEN result = 'LOSS' THEN 1 ELSE 0 END) AS losses,
        sum(CASE WHEN absolute_error IS NOT NULL AND line_absolute_error IS NOT NULL THEN 1 ELSE 0 END) AS compared,
        sum(CASE WHEN line_absolute_error IS NOT NULL THEN absolute_error END) AS prediction_error,
        sum(CASE WHEN absolute_error IS NOT NULL THEN line_absolute_error END) AS line_error
    FROM {accuracy}
    WHERE game_date BETWEEN ? AND ? AND system_id = 'moving_average_v1' AND market = 'points'
    GROUP BY game_date
)
SELECT g.game_date, g.games, coalesce(p.player_rows, 0) AS player_rows,
       coalesce(a.lines, 0) AS lines, coalesce(a.predictions, 0) AS predictions,
       coalesce(a.no_history, 0) AS no_history,
       coalesce(a.graded, 0) AS graded, coalesce(a.wins, 0) AS wins,
       coalesce(a.losses, 0) AS losses, coalesce(a.compared, 0) AS compared,
       coalesce(a.prediction_error, 0) AS prediction_error,
       coalesce(a.line_error, 0) AS line_error
FROM games g
LEFT JOIN players p USING (game_date)
LEFT JOIN graded a USING (game_date)
ORDER BY g.game_date
"""

COUNTS = [
    "games",
    "player_rows",
    "lines",
    "predictions",
    "no_history",
    "graded",
    "wins",
    "losses",
    "compared",
    "prediction_error",
    "line_error",
]


# Stand-ins, with the columns the summary reads, for tables a failed first run never created (a
# replay that fails on a fresh folder still prints what landed, not a "table does not exist").
EMPTY_RELATIONS = {
    tables.SCHEDULE: "(SELECT CAST(NULL AS DATE) AS game_date LIMIT 0)",
    tables.PLAYER_BOXSCORES: "(SELECT CAST(NULL AS DATE) AS game_date LIMIT 0)",
    tables.MARKET_PROP_ACCURACY: (
        "(SELECT CAST(NULL AS DATE) AS game_date, 0.0 AS line, 0.0 AS predicted_value, FALSE AS is_graded, "
        "'' AS result, 0.0 AS absolute_error, 0.0 AS line_absolute_error, '' AS system_id, '' AS market LIMIT 0)"
    ),
}


def summary(warehouse, start: dt.date, end: dt.date):
    relations = {
        table: warehouse.relation(*table) if warehouse.table_exists(*table) else empty
        for table, empty in EMPTY_RELATIONS.items()
    }
    sql = SUMMARY_SQL.format(
        schedule=relations[tables.SCHEDULE],
        boxscores=relations[tables.PLAYER_BOXSCORES],
        accuracy=relations[tables.MARKET_PROP_ACCURACY],
    )
    return warehouse.query(sql, [start, end] * 3)


def _row(label: str, r) -> str:
    bets = r["wins"] + r["losses"]
    hit = f"{100 * r['wins'] / bets:.1f}%" if bets else ""
    mae = f"{r['prediction_error'] / r['compared']:.2f}" if r["compared"] else ""
    mae_line = f"{r['line_error'] / r['compared']:.2f}" if r["compared"] else ""
    return (
        f"{label:<11}{int(r['games']):>6}{int(r['player_rows']):>8}{int(r['lines']):>7}"
        f"{int(r['predictions']):>7}{int(r['no_history']):>7}{int(r['graded']):>7}{int(bets):>6}"
        f"{hit:>8}{mae:>7}{mae_line:>9}"
    )


def format_summary(table) -> str:
    """Dates with lines one per row, then the total; dates without lines (history) in one line."""
    with_lines = table[table["lines"] > 0]
    history = table[table["lines"] == 0]
    header = (
        f"{'date':<11}{'games':>6}{'players':>8}{'lines':>7}{'preds':>7}{'nohist':>7}{'graded':>7}"
        f"{'bets':>6}{'hit':>8}{'MAE':>7}{'MAE line':>9}"
    )
    if table.empty:
        return "Nothing of the window is in the warehouse (no schedule rows landed)."
    out = ["Per date, points market, baseline system moving_average_v1:", header, "-" * len(header)]
    for _, r in with_lines.iterrows():
        out.append(_row(f"{r['game_date']:%Y-%m-%d}", r))
    if len(with_lines):
        out += ["-" * len(header), _row("all", with_lines[COUNTS].sum())]
    if len(history):
        out.append(
            f"history without lines: {len(history)} dates, {int(history['games'].sum())} games, "
            f"{int(history['player_rows'].sum())} player rows "
            f"({history['game_date'].min():%Y-%m-%d}..{history['game_date'].max():%Y-%m-%d})"
        )
    out.append(
        "preds = predictions of players with a line (nohist: no earlier game, so no predicted "
        "points, PASS); hit = wins / (wins + losses) of OVER/UNDER picks at |edge| >= 2; MAE "
        "of the predictions and of the consensus line on the same rows."
    )
    return "\n".join(out)


def market_scores(rows) -> list[dict]:
    """Per market and system, on the same rows (player-dates every system of the market priced):
    n scored, Brier of the system and of the de-vigged market, skill, picks and hit rate. A market
    without any market price (the archive's double/triple-double) gets n = 0 and its Brier against
    the outcome alone on `outcome_n` rows."""
    from nba_assets.defs.grading.market_backtest import outcome_rows, same_rows
    from nba_assets.defs.predictions import system_health as health
    from nba_assets.lib.markets import MARKET_KEYS

    rows = same_rows(rows)
    scored, picks = health.scored(rows), health.decided_picks(rows)
    out = []
    for (market, system_id), part in scored.groupby(["market", "system_id"]):
        won = picks[(picks["market"] == market) & (picks["system_id"] == system_id)]["win"]
        brier, market_brier = part["se_system"].mean(), part["se_market"].mean()
        out.append(
            {
                "market": market,
                "system_id": system_id,
                "n": len(part),
                "brier": brier,
                "market_brier": market_brier,
                "skill": 1 - brier / market_brier,
                "picks": len(won),
                "hit_rate": won.mean() if len(won) else None,
            }
        )
    unpriced = outcome_rows(rows[~rows["market"].isin(scored["market"].unique())])
    for (market, system_id), part in unpriced.groupby(["market", "system_id"]):
        won = picks[(picks["market"] == market) & (picks["system_id"] == system_id)]["win"]
        p, went_over = part["p_system"].to_numpy(float), part["went_over"].to_numpy(float)
        out.append(
            {
                "market": market,
                "system_id": system_id,
                "n": 0,
                "outcome_n": len(part),
                "brier": float(((p - went_over) ** 2).mean()),
                "market_brier": None,
                "skill": None,
                "picks": len(won),
                "hit_rate": won.mean() if len(won) else None,
            }
        )
    order = {m: i for i, m in enumerate(MARKET_KEYS)}
    return sorted(out, key=lambda e: (order.get(e["market"], 99), e["system_id"]))


def format_market_summary(scores: list[dict]) -> str:
    """One line per market and system: n, Brier vs the market's, skill, picks and hit rate."""
    header = f"{'market':<14}{'system':<20}{'n':>7}{'Brier':>9}{'market':>9}{'skill':>9}{'picks':>7}{'hit':>8}"
    lines = [
        "Markets, every system against the de-vigged market on the same rows of the window "
        "(probabilities on P(over | no push), yes/no markets P(yes); skill > 0 beats the market; "
        "picks: EV > 0 sides, decided; n = 0: no market price, Brier against the outcome alone):",
        header,
        "-" * len(header),
    ]
    for e in scores:
        hit = "" if e["hit_rate"] is None else f"{100 * e['hit_rate']:.1f}%"
        if e["market_brier"] is None:
            lines.append(
                f"{e['market']:<14}{e['system_id']:<20}{e['n']:>7}{e['brier']:>9.4f}{'no price':>9}{'':>9}"
                f"{e['picks']:>7}{hit:>8}  ({e['outcome_n']} rows scored against the outcome)"
            )
            continue
        lines.append(
            f"{e['market']:<14}{e['system_id']:<20}{e['n']:>7}{e['brier']:>9.4f}"
            f"{e['market_brier']:>9.4f}{e['skill']:>+9.3f}{e['picks']:>7}{hit:>8}"
        )
    return "\n".join(lines)


class Progress(threading.Thread):
    """Prints steps done of total while the run executes, from the instance's event log."""

    def __init__(self, instance, run_id: str, total: int, console):
        super().__init__(daemon=True)
        self.instance, self.run_id, self.total, self.console = instance, run_id, total, console
        self.finished = threading.Event()
        self.started = time.monotonic()

    def run(self):
        from dagster import DagsterEventType

        seen, cursor = set(), None
        while True:
            done = self.finished.wait(1.0)
            try:  # only the events after the last poll's (a season's run writes thousands)
                connection = self.instance.get_records_for_run(
                    self.run_id, cursor=cursor, of_type={DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
                )
            except Exception:  # the run may not exist yet during the first second
                continue
            cursor = connection.cursor
            for record in connection.records:
                entry = record.event_log_entry
                if entry.step_key in seen:
                    continue
                seen.add(entry.step_key)
                status = "done" if entry.dagster_event.event_type == DagsterEventType.STEP_SUCCESS else "FAILED"
                print(
                    f"[replay] {len(seen)}/{self.total} steps: {entry.step_key} {status} "
                    f"({time.monotonic() - self.started:.0f}s)",
                    file=self.console,
                    flush=True,
                )
            if done:
                return


# The console shows progress and, at the end, each failed step's error (main); the step logs are in
# the run's event log (the UI). An interrupted step's stack trace is not news.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# Dagster's run monitoring (the daemon, `make ui`) fails a run past this; a season takes ~1 minute.
MAX_RUNTIME_TAG = "dagster/max_runtime"
MAX_RUNTIME_SECONDS = int(os.environ.get("NBA_MAX_RUNTIME_SECONDS", 2 * 3600))
# What an interrupted replay tells the user (set by `main`: the command to run again).
RESUME = {"hint": ""}


def say(message: str, file=None) -> None:
    print("\n".join(f"[replay] {line}" for line in message.splitlines()), file=file, flush=True)


# The run's own console output (dbt's log, which dagster-dbt re-emits on stdout, and anything a
# step prints): what a deployed run's compute logs hold. In a file per run, not on the console,
# which shows progress; the most recent files are kept.
RUN_LOGS_KEPT = 50


def run_log_path(instance, run_id: str) -> Path:
    folder = Path(instance.root_directory) / "replay_logs"
    folder.mkdir(parents=True, exist_ok=True)
    for old in sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime)[:-RUN_LOGS_KEPT]:
        old.unlink(missing_ok=True)
    return folder / f"{run_id}.log"


def run_job(instance, job, first: str | None = None, last: str | None = None, *, run_config: dict | None = None):
    """One run of `job` (over first..last, a single-run backfill when partitioned), executed in
    this process, with progress. `run_config` is merged over the quiet console logger.
    Interrupts and waits are handled by nba_assets/cli/guarded_run.py (raises `Interrupted`)."""
    import uuid

    from nba_assets.cli.guarded_run import execute_guarded

    run_id = str(uuid.uuid4())  # known before the run exists: progress and the watcher follow it
    total = len(job.graph.node_defs)
    window = f" {first}..{last}" if first else ""
    log_path = run_log_path(instance, run_id)
    print(f"[replay] {job.name}{window}: one run ({run_id}), {total} steps; its log: {log_path}", flush=True)
    tags = {
        **({RANGE_START_TAG: first, RANGE_END_TAG: last} if first else {}),
        MAX_RUNTIME_TAG: str(MAX_RUNTIME_SECONDS),
    }
    console = sys.stdout
    progress = Progress(instance, run_id, total, console)
    progress.start()
    try:
        # Step logs stay in the run's event log (the UI), what the steps print in the run's log
        # file; the console shows progress.
        with open(log_path, "w", encoding="utf-8") as log, contextlib.redirect_stdout(log):
            return execute_guarded(
                instance,
                job,
                run_id=run_id,
                tags=tags,
                say=lambda message: say(message, file=console),
                farewell=RESUME["hint"],
                run_config={**QUIET, **(run_config or {})},
            )
    finally:
        progress.finished.set()
        progress.join()


def later_predicted_dates(warehouse, end: dt.date) -> tuple[dt.date, dt.date] | None:
    """(first, last) dates after `end` that have predictions, or None."""
    import pandas as pd

    if not warehouse.table_exists(*tables.MARKET_PROP_PREDICTIONS):
        return None
    row = warehouse.query(
        f"SELECT min(game_date) AS first, max(game_date) AS last FROM "
        f"{warehouse.relation(*tables.MARKET_PROP_PREDICTIONS)} WHERE game_date > ?",
        [end],
    ).iloc[0]
    if row["first"] is None or pd.isna(row["first"]):
        return None
    return pd.Timestamp(row["first"]).date(), pd.Timestamp(row["last"]).date()


def run_window(
    instance,
    start: dt.date,
    end: dt.date,
    defs=None,
    retrain: bool = False,
    downstream: bool = False,
    figures: bool = False,
) -> list:
    """The window as one run of the whole graph (and, with `downstream`, one more run over the later
    predicted dates; with `figures`, one more of the report's figures as of END, unless that one drew them);
    stops at a failed run. Returns the results."""
    if defs is None:
        from nba_assets.definitions import defs
    from nba_assets.defs.jobs import RETRAIN

    job = defs.resolve_job_def("daily_pipeline")
    results = [run_job(instance, job, start.isoformat(), end.isoformat(), run_config=RETRAIN if retrain else None)]
    later = later_predicted_dates(defs.resources["warehouse"], end) if downstream else None
    if results[-1].success and later:
        # The job's own config (retrain) must be passed: a run config given here replaces it.
        results.append(
            run_job(
                instance,
                defs.resolve_job_def("retrain_and_repredict"),
                later[0].isoformat(),
                later[1].isoformat(),
                run_config=RETRAIN,
            )
        )
    # retrain_and_repredict (everything downstream of the models) has drawn them as of its last date.
    if results[-1].success and figures and not later:
        results.append(run_job(instance, defs.resolve_job_def("report_figures"), end.isoformat(), end.isoformat()))
    return results


# Full (oldest-generation) collections only after this many younger ones (Python's default: 10).
FULL_COLLECTION_THRESHOLD = 100


def quiet_garbage_collector() -> None:
    """The cyclic collector's full passes walk every live object: after dagster, dbt, pandas,
    scikit-learn and matplotlib are loaded (~1.5M objects), each costs ~0.2 s, and a one-date run
    made 6-10 of them (1.2-1.7 s of its ~13 s of CPU), collecting almost nothing: the garbage of a
    run is freed by reference counting or dies young. So the code location's objects, loaded by
    now, are moved out of the collector's sight (`gc.freeze`), and full passes are 10 times rarer
    (young generations unchanged: cyclic garbage is still collected within a few thousand
    allocations). Measured: one date ~1 full pass instead of 6-10, the same peak memory. The
    entry point's choice (nothing changes the process at import)."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_THRESHOLD)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=dt.date.fromisoformat, required=True)
    parser.add_argument("--end", type=dt.date.fromisoformat, required=True, help="inclusive")
    parser.add_argument(
        "--retrain",
        action="store_true",
        help="also check the model of START's week when it exists (refitted if its rows changed)",
    )
    parser.add_argument(
        "--downstream",
        action="store_true",
        help="then refit the models and redo the predictions, grading and exports of "
        "the dates after END that have predictions",
    )
    parser.add_argument(
        "--figures",
        action="store_true",
        help="then draw the backtest report's figures as of the last date (not part of the daily run)",
    )
    args = parser.parse_args(argv)
    # Preview/beta notices (partitioned checks, backfill policies) are known; keep output readable.
    warnings.filterwarnings("ignore", module="dagster")

    from dagster import DagsterInstance

    # The collector is paused while the code location loads (dagster, dagster-dbt and dbt: ~1M
    # long-lived objects, almost none garbage; its passes were ~15% of the load), here where the
    # process starts: importing the code location changes nothing of a process (`dg`, the UI).
    gc.disable()
    try:
        from nba_assets.definitions import defs
    finally:
        gc.enable()
    quiet_garbage_collector()
    started = time.monotonic()
    instance = DagsterInstance.get()
    try:
        return _replay(args, instance, defs, started)
    finally:
        # Closes the instance's storage (its SQLite connections): the process ends without the
        # interpreter's teardown (exit_now), so nothing else would.
        instance.dispose()


# Which raw table holds the rows of a file of each kind (the archive's FileReport.kind).
TABLE_OF_KIND = {"team_games": tables.SCHEDULE, "boxscores": tables.PLAYER_BOXSCORES, "prop_lines": tables.PROP_LINES}


def loaded_per_file(warehouse, start: dt.date, end: dt.date) -> dict:
    """Rows of the window per raw table and source file: {(schema, table): {file: rows}}."""
    out = {}
    for table in TABLE_OF_KIND.values():
        if warehouse.table_exists(*table):
            counts = warehouse.query(
                f"SELECT source_file, count(*) AS n FROM {warehouse.relation(*table)} "
                "WHERE game_date BETWEEN ? AND ? GROUP BY source_file",
                [start, end],
            )
            out[table] = dict(zip(counts["source_file"], counts["n"].astype(int)))
    return out


def files_report(source, warehouse, start: dt.date, end: dt.date) -> str | None:
    """Every file of the source's folder accounted for, with the rows of each loaded in the window;
    None for sources without files, or when the folder cannot be read (the run's error said why)."""
    from resources.sources.errors import SourceError
    from resources.sources.replay import report

    try:
        reports = source.file_report()
    except SourceError:
        return None
    if reports is None:
        return None
    per_table = loaded_per_file(warehouse, start, end)
    loaded = {r.file: per_table.get(TABLE_OF_KIND.get(r.kind), {}).get(r.file, 0) for r in reports}
    unknown = report.unknown(reports)
    lines = [
        f"Files of {source.describe()} (read: rows in the file; served: after duplicates and rejected "
        f"rows; loaded: rows in the warehouse for {start}..{end}):",
        report.console(reports, loaded),
    ]
    if unknown:
        lines.append(
            f"WARNING: {len(unknown)} file(s) of no known shape were not read: {', '.join(r.file for r in unknown)}"
        )
    return "\n".join(lines) + "\n"


def failure_text(event) -> str:
    """A failed step's error as the user should read it: a `Failure`'s own description (not its
    class path), else the error's cause, else the error."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip()
    error = data.error
    return (error.cause.message if error.cause else error.message).strip()


def _replay(args, instance, defs, started: float) -> int:
    from nba_assets.cli.guarded_run import Interrupted
    from nba_assets.defs.operations.recovery import close_dead_runs, free_slots_of_ended_runs

    # Runs an earlier replay (or UI run) left behind when its process was killed: closed here,
    # once, so that this replay does not wait for their pool slots.
    for line in close_dead_runs(instance, f"make replay (process {os.getpid()})") + free_slots_of_ended_runs(instance):
        say(f"recovered: {line}")
    flags = " ".join(
        flag
        for flag, on in (("--retrain", args.retrain), ("--downstream", args.downstream), ("--figures", args.figures))
        if on
    )
    resume = f"make replay START={args.start} END={args.end}" + (f" REPLAY_ARGS='{flags}'" if flags else "")
    RESUME["hint"] = f"Run the same command to resume:\n  {resume}"
    try:
        results = run_window(
            instance,
            args.start,
            args.end,
            defs=defs,
            retrain=args.retrain,
            downstream=args.downstream,
            figures=args.figures,
        )
    except Interrupted as stopped:
        say(
            f"{stopped.reason}: run {stopped.run_id} is {stopped.status}, its pool slots are freed. "
            "Every step writes its window in one transaction and files are renamed into place, so "
            f"nothing half-written was kept. Run the same command to resume:\n  {resume}"
        )
        return stopped.exit_code
    succeeded = all(result.success for result in results)
    for result in results:
        for event in result.get_step_failure_events():
            print(f"[replay] step {event.step_key} failed: {failure_text(event)[:3000]}", file=sys.stderr)
    if not succeeded:
        print("[replay] a run failed; the summary below shows what landed", file=sys.stderr)
    warehouse = defs.resources["warehouse"]
    with warehouse.session():  # the summary's queries share one opening of the warehouse
        files = files_report(defs.resources["nba_source"], warehouse, args.start, args.end)
        if files:
            print(files)
        print(format_summary(summary(warehouse, args.start, args.end)))
        if warehouse.table_exists(*tables.MARKET_PROP_ACCURACY):
            from nba_assets.defs.grading.edge_report import points_rows, report, systems_table
            from nba_assets.defs.predictions.system_health import graded_market_rows

            graded = graded_market_rows(warehouse, args.start, args.end)
            print(
                "\nPoints systems on the same graded rows of the window (every system predicted, player played, real line):"
            )
            print(systems_table(report(points_rows(graded))))
            scores = market_scores(graded)
            if scores:
                print()
                print(format_market_summary(scores))
        from nba_assets.cli.gate_summary import gate_summary

        print()
        print(gate_summary(warehouse, args.start, args.end))
    print(f"[replay] finished in {time.monotonic() - started:.1f}s", flush=True)
    return 0 if succeeded else 1


# The exit code `end_process` ends the process with (set when `main` returns).
EXIT = {"code": 1}


def end_process() -> None:
    """The last exit handler: ends the process without the interpreter's teardown (freeing the
    process's ~1.5M objects one by one and unloading modules: ~0.7 s of a one-date replay).
    Registered before `main` imports anything, so it runs after every exit handler the libraries
    register as they are imported (exit handlers run last-registered first): logging's shutdown
    (handlers flushed and closed), multiprocessing's finalizers (dbt's semaphores unlinked),
    dbt-duckdb's connections. Every run's events are committed and the instance closed by then
    (`main`). Public APIs only: `atexit.register`, `os._exit`."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(EXIT["code"])


if __name__ == "__main__":
    atexit.register(end_process)
    try:
        EXIT["code"] = main()
    except BaseException:
        # An error, --help or bad arguments: the interpreter's own exit, code and teardown unchanged.
        atexit.unregister(end_process)
        raise
    sys.exit(EXIT["code"])
