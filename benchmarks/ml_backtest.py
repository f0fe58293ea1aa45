"""Walk-forward backtest benchmark of every system against real sportsbook lines: the points
systems on the same rows, then every market's systems against the de-vigged market.

    .venv/bin/python benchmarks/ml_backtest.py          # or: make ml-benchmark

Replays 2024-10-22..2025-11-23 (every date with real points lines in the archive, history before)
into a fresh folder exactly as `make replay` does: each week's model is trained only on games
before that week's Monday, every date is predicted before it is graded. Then prints, on the SAME
rows (player-dates every system predicted, the player played, a real line exists): MAE of each
system and of the consensus line, bets and hit rate at |edge| >= 2 and >= 3, and the run time;
then per market AND per system (moving_average_v1, ml_market_v1), on the rows of the market every
system priced, the scores against the de-vigged market (2024-25 threes on its own), and against
the outcome alone (double/triple-double: the archive has no prices for them).
Last, every side with EV > 0 (ungated) at the consensus price beside the best real book's
(benchmarks/best_price.py). Break-even at -110 is 52.4%. Numbers are printed, never asserted.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

START, END = "2024-10-22", "2025-11-23"


def main() -> None:
    from benchmarks import best_price
    from nba_assets.defs.grading.edge_report import systems_table
    from nba_assets.defs.grading.market_backtest import outcome_table
    from nba_assets.defs.grading.market_backtest import table as market_table

    scratch = Path(tempfile.mkdtemp(prefix="nba-ml-bench-"))
    try:
        home = scratch / "dagster_home"
        home.mkdir()
        from nba_assets.lib.instance_config import write_instance_config

        write_instance_config(home)
        env = dict(
            os.environ,
            DAGSTER_HOME=str(home),
            NBA_DATA_DIR=str(scratch / "data"),
            NBA_DUCKDB_PATH=str(scratch / "warehouse.duckdb"),
        )
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "nba_assets.cli.replay", "--start", START, "--end", END],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        elapsed = time.monotonic() - started
        markets = json.loads((scratch / "data" / "backtest" / "markets" / f"{END}.json").read_text())  # as of END
        result = markets["points_edge"]  # the points market's systems by |edge| bucket
        prices = best_price.report(scratch / "warehouse.duckdb")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    dates = result["graded_dates"]
    print(
        f"Walk-forward {START}..{END}: {result['same_rows']} same rows over {dates['count']} dates "
        f"with real lines ({dates['first']}..{dates['last']}); consensus line MAE "
        f"{result['line']['mae']:.3f}; run time {elapsed:.0f}s (whole replay, fresh folder)."
    )
    print("Points market, by |edge| bucket:")
    print(systems_table(result))
    print(
        "\nEvery market against the de-vigged market (probabilities scored on P(over | no push); "
        "Brier skill > 0 beats the market; slope 1 = calibrated (mkt sl: the market's); bets = sides with EV > 0 at the "
        "consensus price, hit rate and ROI at real prices; 95% intervals clustered by date):"
    )
    print(market_table(markets))
    print(
        "\nEvery market against the outcome alone, on every row each system priced (with or without a "
        "market price: the archive has no double/triple-double prices); rate = observed over (Yes) rate:"
    )
    print(outcome_table(markets))
    print()
    print(prices)


if __name__ == "__main__":
    main()
