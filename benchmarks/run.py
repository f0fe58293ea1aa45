"""Benchmark: wall time and peak memory of what a user runs, on a fresh DuckDB and Dagster instance.

    .venv/bin/python benchmarks/run.py            # or: make benchmark
    .venv/bin/python benchmarks/run.py --repeat 1 --skip-30-runs   # quicker
    .venv/bin/python benchmarks/run.py --new-date-only --repeat 5  # only the daily case

Every figure runs the real commands as subprocesses, each season in a fresh folder (DuckDB file,
landing files, DAGSTER_HOME with the project's dagster.yaml): the code location load (a new
interpreter importing the definitions, its exit not counted), `python -m nba_assets.cli.replay` over the whole 2025-26
regular season with the 2024-25 history, then on that loaded warehouse `make replay START=D END=D`
for one date (make itself checks that nothing needs reinstalling or re-parsing), 30 dates as one
replay and as 30 replays; then the UI's path: on a fresh folder with the history before
2025-11-24 replayed, `dagster dev` (webserver + daemon, as `make ui`) and the backfill the UI's
"Materialize all" over 2025-11-24...2025-11-30 launches (GraphQL `launchPartitionBackfill`), from
launch to COMPLETED_SUCCESS, with its number of runs, next to `make replay` of the same window on
that folder, and their ratio (benchmarks/ui_backfill.py). The backfills are launched at evenly
spread moments of the daemon's 30-second loop (see `ui_rows`). Figures are medians of --repeat runs; the
30 separate replays are measured once (they take minutes). Peak memory is the largest process of the command's tree
(ru_maxrss). The machine's load average is printed with each figure: the benchmark does not own
the machine. Prints a Markdown table to paste into the README; never asserts anything.
"""

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
HISTORY_START = "2024-10-22"
SEASON_END = "2026-04-12"  # last day of the 2025-26 regular season
ONE_DATE = "2025-11-12"  # a Wednesday: its week's model exists after the season replay
THIRTY = ("2025-12-01", "2025-12-30")

LOAD = "code location load (new interpreter until the definitions are built)"
# The interpreter's teardown (~0.5 s freeing dagster's and dbt's objects) is not part of a load: a
# code server keeps the definitions; the command exits right after the import.
LOAD_COMMAND = [PYTHON, "-c", "import os, nba_assets.definitions; os._exit(0)"]
SEASON = f"2024-25 history + 2025-26 season as one replay ({HISTORY_START}..{SEASON_END})"
ONE = f"one date through the graph, `make replay START={ONE_DATE} END={ONE_DATE}` on the loaded warehouse"
NEW_HISTORY_END = "2025-11-11"
NEW = (
    f"one NEW date: history replayed to {NEW_HISTORY_END}, then `make replay START={ONE_DATE} END={ONE_DATE}` "
    "(each run on its own copy of that folder)"
)
THIRTY_ONE = f"30 dates as one replay ({THIRTY[0]}..{THIRTY[1]})"
THIRTY_SEPARATE = "30 dates as 30 replays, one per date (measured once)"
UI_WINDOW = ("2025-11-24", "2025-11-30")
UI_HISTORY_END = "2025-11-23"
UI = (
    f"UI backfill of 7 dates ({UI_WINDOW[0]}...{UI_WINDOW[1]}, Materialize all) through `dagster dev`, "
    "launch to COMPLETED_SUCCESS"
)
UI_SINGLE = (
    'the same from the dialog\'s "Single run" option (one run with the range tags, no backfill), launch to SUCCESS'
)
UI_SEASON = (
    f"UI backfill of the season ({HISTORY_START}...{SEASON_END}, Materialize all) on a fresh folder, "
    "launch to COMPLETED_SUCCESS (once, launched 15 s before the daemon's tick)"
)
UI_REPLAY = f"`make replay START={UI_WINDOW[0]} END={UI_WINDOW[1]}` on the same folder"
TARGETS = {
    LOAD: "<= 2 s",
    SEASON: "<= 60 s, <= 2 GB",
    ONE: "<= 10 s",
    NEW: "<= 10 s",
    UI: "<= 45 s, one run",
    UI_SEASON: "<= 90 s",
}


def measure(cmd: list[str], env: dict) -> tuple[float, float, float]:
    """(wall seconds, peak RSS in MB, CPU seconds) of one command; fails loudly if it fails. CPU
    seconds (user + system of the command and the processes it waited for) say what the command
    costs when the machine is shared and wall time is not its own."""
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: nothing blocks on a full pipe
        started = time.monotonic()
        process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        # wait4: the command's rusage; ru_maxrss is the largest of it and the processes it waited for.
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(
                f"benchmark command failed ({process.returncode}): {' '.join(cmd)}\n{errors.read().decode()[-3000:]}"
            )
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def fresh_env(folder: Path, existing: bool = False) -> dict:
    """The environment of a run on `folder`'s data (a new folder, or with `existing` one already
    holding an instance, a warehouse and landing files)."""
    home = folder / "dagster_home"
    if not existing:
        home.mkdir(parents=True)
        from nba_assets.lib.instance_config import write_instance_config

        write_instance_config(home)
    env = dict(os.environ)
    env.update(
        {
            "DAGSTER_HOME": str(home),
            "NBA_DATA_DIR": str(folder / "data"),
            "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
            "PATH": f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
        }
    )
    return env


def replay(start: str, end: str) -> list[str]:
    return [PYTHON, "-m", "nba_assets.cli.replay", "--start", start, "--end", end]


def make_replay(start: str, end: str) -> list[str]:
    return ["make", "--no-print-directory", "replay", f"START={start}", f"END={end}"]


def load() -> str:
    return "load {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def repeated(name: str, runs: int, run) -> dict:
    """Runs `run()` `runs` times; prints each figure with the machine's load."""
    figures = []
    for i in range(runs):
        figures.append(run())
        print(
            f"{name} [{i + 1}/{runs}]: {figures[-1][0]:.1f} s, {figures[-1][1]:.0f} MB, "
            f"{figures[-1][2]:.1f} s CPU ({load()})",
            flush=True,
        )
    walls = [wall for wall, _, _ in figures]
    return {
        "wall": statistics.median(walls),
        "walls": walls,
        "peak": max(m for _, m, _ in figures),
        "cpu": statistics.median(cpu for _, _, cpu in figures),
    }


def days(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-30-runs", action="store_true", help="skip the 30 separate runs")
    parser.add_argument("--ui-only", action="store_true", help="only the UI backfill row and its replay")
    parser.add_argument("--new-date-only", action="store_true", help="only the one-NEW-date row (the daily case)")
    args = parser.parse_args()
    started_load = load()
    results: dict[str, dict] = {}
    scratch = Path(tempfile.mkdtemp(prefix="nba-bench-"))
    try:
        if args.new_date_only:
            results[NEW] = new_date_rows(args, scratch)
        else:
            if not args.ui_only:
                replay_rows(args, results, scratch)
            ui_rows(args, results, scratch)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print_table(args, results, started_load)


def ui_rows(args, results: dict, scratch: Path) -> None:
    """The UI's backfill (median of --repeat, on one folder) and `make replay` of the same window."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.ui_backfill import DAEMON_LOOP_SECONDS, dagster_dev

    env = fresh_env(scratch / "ui")
    measure(replay(HISTORY_START, UI_HISTORY_END), env)
    backfills = []
    # Launched at evenly spread moments of the daemon's 30-second loop (25, 15, 5 s before its next
    # tick for 3 repeats), as users launch at any moment: launch to COMPLETED is that wait + 30 s
    # when the run takes less than a loop.
    offsets = [DAEMON_LOOP_SECONDS * (args.repeat - i - 0.5) / args.repeat for i in range(args.repeat)]
    with dagster_dev(env, scratch / "dagster_dev.log") as server:
        for i in range(args.repeat):
            backfills.append(server.backfill(*UI_WINDOW, before_tick=offsets[i]))
            b = backfills[-1]
            print(
                f"{UI} [{i + 1}/{args.repeat}]: {b['seconds']:.1f} s (launched {offsets[i]:.0f} s before "
                f"the daemon's tick), {b['status']}, {len(b['runs'])} run(s) ({load()})",
                flush=True,
            )
        singles = []
        for i in range(args.repeat):
            singles.append(server.single_run(*UI_WINDOW))
            print(
                f"{UI_SINGLE} [{i + 1}/{args.repeat}]: {singles[-1]['seconds']:.1f} s, {singles[-1]['status']} "
                f"({load()})",
                flush=True,
            )
    walls = [b["seconds"] for b in backfills]
    results[UI] = {
        "wall": statistics.median(walls),
        "walls": walls,
        "peak": None,
        "note": f"runs: {', '.join(str(len(b['runs'])) for b in backfills)}; "
        f"{', '.join(b['status'] for b in backfills)}",
    }
    single_walls = [r["seconds"] for r in singles]
    results[UI_SINGLE] = {
        "wall": statistics.median(single_walls),
        "walls": single_walls,
        "peak": None,
        "note": ", ".join(r["status"] for r in singles),
    }
    results[UI_REPLAY] = repeated(UI_REPLAY, args.repeat, lambda: measure(make_replay(*UI_WINDOW), env))

    # A season from the UI on an empty instance and warehouse: one run of ~a minute, so two or three
    # of the daemon's loops.
    with dagster_dev(fresh_env(scratch / "ui_season"), scratch / "dagster_dev_season.log") as server:
        season = server.backfill(HISTORY_START, SEASON_END, before_tick=DAEMON_LOOP_SECONDS / 2)
    print(
        f"{UI_SEASON}: {season['seconds']:.1f} s, {season['status']}, {len(season['runs'])} run(s) ({load()})",
        flush=True,
    )
    results[UI_SEASON] = {
        "wall": season["seconds"],
        "walls": [season["seconds"]],
        "peak": None,
        "note": f"runs: {len(season['runs'])}; {season['status']}",
    }


def replay_rows(args, results: dict, scratch: Path) -> None:
    """Load, season, one date, 30 dates as one and as 30 replays (each season on a fresh folder)."""
    env = fresh_env(scratch / "load")
    measure(LOAD_COMMAND, env)  # warm the file cache once
    results[LOAD] = repeated(LOAD, args.repeat, lambda: measure(LOAD_COMMAND, env))

    folders = iter(range(args.repeat))

    def season():
        nonlocal env
        env = fresh_env(scratch / f"season{next(folders)}")
        return measure(replay(HISTORY_START, SEASON_END), env)

    results[SEASON] = repeated(SEASON, args.repeat, season)
    # The daily case: an installed checkout whose warehouse holds the season (the last one).
    results[ONE] = repeated(ONE, args.repeat, lambda: measure(make_replay(ONE_DATE, ONE_DATE), env))
    results[THIRTY_ONE] = repeated(THIRTY_ONE, args.repeat, lambda: measure(replay(*THIRTY), env))
    results[NEW] = new_date_rows(args, scratch)
    if not args.skip_30_runs:
        started, peak = time.monotonic(), 0.0
        for day in days(*THIRTY):
            peak = max(peak, measure(replay(day, day), env)[1])
        results[THIRTY_SEPARATE] = {"wall": time.monotonic() - started, "walls": [], "peak": peak}
        print(f"{THIRTY_SEPARATE}: {results[THIRTY_SEPARATE]['wall']:.1f} s ({load()})", flush=True)


def new_date_rows(args, scratch: Path) -> dict:
    """The daily case: a date the warehouse has not seen (its graded rows change every report, its
    plots are drawn, nothing is reused). The history is replayed once; each run gets a copy of it."""
    # The history is replayed where the runs run, then kept aside; each run gets a copy at that
    # same path, as a checkout's .data is used day after day: dbt's partial-parse state is kept per
    # value of the variables profiles.yml reads (the DuckDB path), so a path new to dbt would cost
    # the first run a full parse (~2 s) that a user's folder never pays twice.
    folder = scratch / "new-date"
    history = scratch / "new-date-history"
    measure(replay(HISTORY_START, NEW_HISTORY_END), fresh_env(folder))
    folder.rename(history)

    def new_date():
        shutil.copytree(history, folder)
        env = fresh_env(folder, existing=True)
        try:
            return measure(make_replay(ONE_DATE, ONE_DATE), env)
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    return repeated(NEW, args.repeat, new_date)


def print_table(args, results: dict, started_load: str) -> None:
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    print()
    print(
        f"Machine: {platform.platform()}, {os.cpu_count()} cores, {memory_gb:.0f} GiB, Python "
        f"{platform.python_version()}; median of {args.repeat}; {dt.date.today()}; "
        f"{started_load} at the start, {load()} at the end"
    )
    print()
    print("| measurement | wall (s) | runs (s) | CPU (s) | peak memory (MB) | target |")
    print("|---|---:|---|---:|---:|---|")
    for name, figure in results.items():
        runs = ", ".join(f"{wall:.1f}" for wall in figure["walls"])
        if figure.get("note"):
            runs += f" ({figure['note']})"
        peak = "" if figure["peak"] is None else f"{figure['peak']:.0f}"
        cpu = f"{figure['cpu']:.1f}" if figure.get("cpu") is not None else ""
        print(f"| {name} | {figure['wall']:.1f} | {runs} | {cpu} | {peak} | {TARGETS.get(name, '')} |")
    if THIRTY_SEPARATE in results:
        ratio = results[THIRTY_SEPARATE]["wall"] / results[THIRTY_ONE]["wall"]
        print(f"| 30 separate / one replay | {ratio:.1f}x | | | | >= 20x |")
    if UI in results:
        ratio = results[UI]["wall"] / results[UI_REPLAY]["wall"]
        print(f"| UI backfill / `make replay`, same 7 dates | {ratio:.1f}x | | | | |")


if __name__ == "__main__":
    sys.exit(main())
