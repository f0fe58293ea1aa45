"""Benchmark: wall time and peak memory of what a user runs, on a fresh DuckDB and Dagster instance.

    .venv/bin/python benchmarks/run.py            # or: make benchmark
    .venv/bin/python benchmarks/run.py --repeat 1 --skip-30-runs   # quicker

Every figure runs the real commands as subprocesses (the code location load, `python -m
nba_assets.replay` as `make replay` calls it: one run per phase, each phase one single-run backfill
of the whole range), each in a fresh folder (DuckDB file, landing files,
DAGSTER_HOME with the project's dagster.yaml). Figures are medians of --repeat runs; the 30 separate
runs are measured once (they take minutes). Peak memory is the largest process of the command tree
(ru_maxrss). Prints a Markdown table to paste into the README; never asserts anything.
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
ONE_DATE = "2025-11-10"
THIRTY = ("2025-12-01", "2025-12-30")


def measure(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one command; fails loudly if the command fails."""
    started = time.monotonic()
    process = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"benchmark command failed ({status}): {' '.join(cmd)}\n"
                         f"{process.stderr.read().decode()[-3000:]}")
    return wall, usage.ru_maxrss / 1024


def fresh_env(folder: Path) -> dict:
    home = folder / "dagster_home"
    home.mkdir(parents=True)
    shutil.copy(ROOT / "dagster.yaml", home / "dagster.yaml")
    env = dict(os.environ)
    env.update({
        "DAGSTER_HOME": str(home),
        "NBA_DATA_DIR": str(folder / "data"),
        "NBA_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "PATH": f"{ROOT / '.venv' / 'bin'}:{env.get('PATH', '')}",
    })
    return env


def replay(start: str, end: str) -> list[str]:
    return [PYTHON, "-m", "nba_assets.replay", "--start", start, "--end", end]


def median_of(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), max(m for _, m in runs)


def days(start: str, end: str) -> list[str]:
    first, last = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
    return [(first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-30-runs", action="store_true", help="skip the 30 separate runs")
    args = parser.parse_args()
    results: dict[str, tuple[float, float]] = {}
    scratch = Path(tempfile.mkdtemp(prefix="nba-bench-"))
    try:
        env = fresh_env(scratch / "load")
        results["code location load (import definitions)"] = median_of(
            [measure([PYTHON, "-c", "import nba_assets.definitions"], env) for _ in range(args.repeat)])
        print("load done", flush=True)

        season = []
        for i in range(args.repeat):
            env = fresh_env(scratch / f"season{i}")
            season.append(measure(replay(HISTORY_START, SEASON_END), env))
            print(f"season run {i + 1}: {season[-1][0]:.1f}s", flush=True)
        results[f"2024-25 history + 2025-26 season as one replay ({HISTORY_START}..{SEASON_END})"] = median_of(season)

        # The daily case: an installed checkout whose warehouse already holds the season.
        results[f"one date through the graph ({ONE_DATE}), `make replay START=D END=D` on a loaded warehouse"] = median_of(
            [measure(replay(ONE_DATE, ONE_DATE), env) for _ in range(args.repeat)])
        print("one date done", flush=True)
        one_run = median_of([measure(replay(*THIRTY), env) for _ in range(args.repeat)])
        results[f"30 dates as one replay ({THIRTY[0]}..{THIRTY[1]})"] = one_run
        print("30 dates one run done", flush=True)
        if not args.skip_30_runs:
            started, peak = time.monotonic(), 0.0
            for day in days(*THIRTY):
                peak = max(peak, measure(replay(day, day), env)[1])
            thirty = (time.monotonic() - started, peak)
            results["30 dates as 30 replays, one per date (measured once)"] = thirty
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    print()
    print(f"Machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
          f"median of {args.repeat}; {dt.date.today()}")
    print()
    print("| measurement | wall (s) | peak memory (MB) |")
    print("|---|---:|---:|")
    for name, (wall, memory) in results.items():
        print(f"| {name} | {wall:.1f} | {memory:.0f} |")
    key = "30 dates as 30 replays, one per date (measured once)"
    if key in results:
        print(f"| 30 separate / one replay | {results[key][0] / one_run[0]:.1f}x | |")


if __name__ == "__main__":
    sys.exit(main())
