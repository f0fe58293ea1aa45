"""The gate's power curve on the archive's real rows (benchmarks/gate_simulation.py): per market
and record length (graded dates), the share of records the gate publishes for the null, boundary
and informed systems, and the record length at which each informed system reaches 80% power.

    .venv/bin/python -m benchmarks.gate_power            # prints markdown (docs/gate.md)

Fixed seeds: the same numbers on every run of the same archive and rule."""

import argparse
import time

from benchmarks.gate_simulation import NOISE, archive_rows, boundary_shift, simulate
from nba_assets.lib import gate

WINDOWS = (5, 10, 15, 20, 25, 30, 40, 60, 90)
SHIFTS = (0.01, 0.015, 0.02)
POWER = 0.8


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--draws", type=int, default=400, help="independent records per cell")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows = archive_rows()
    print(
        f"Gate: lower bound of the {100 * gate.CONFIDENCE:.0f}% date-clustered interval of Brier skill > 0, "
        f"min {gate.MIN_ROWS} rows; noise N(0, {NOISE}); {args.draws} independent records per cell.\n"
    )
    header = "| market | rows/date | dates | system | " + " | ".join(f"W={w}" for w in WINDOWS) + " |"
    print(header)
    print("|" + "---|" * (4 + len(WINDOWS)))
    reach = {}
    for market, part in rows.groupby("market"):
        per_date = part.groupby("game_date").size().median()
        systems = [("null", 0.0), (f"boundary (shift {boundary_shift(part):.4f})", boundary_shift(part))]
        systems += [(f"informed shift {s}", s) for s in SHIFTS]
        for name, shift in systems:
            rates = [simulate(part, shift, w, draws=args.draws, records_per_draw=1, seed=w) for w in WINDOWS]
            rates = [None if r is None else r.rate for r in rates]
            cells = " | ".join("" if r is None else f"{100 * r:.1f}%" for r in rates)
            print(f"| {market} | {per_date:.0f} | {part['game_date'].nunique()} | {name} | {cells} |")
            if name.startswith("informed"):
                reach[(market, shift)] = next((w for w, r in zip(WINDOWS, rates) if r is not None and r >= POWER), None)
    print(f"\nRecord length (graded dates) at which the informed system reaches {100 * POWER:.0f}% power:\n")
    print("| market | " + " | ".join(f"shift {s}" for s in SHIFTS) + " |")
    print("|---|" + "---:|" * len(SHIFTS))
    for market in sorted({m for m, _ in reach}):
        longest = max(w for w in WINDOWS if w <= rows[rows["market"] == market]["game_date"].nunique())
        cells = " | ".join(str(reach[(market, s)] or f"> {longest}") for s in SHIFTS)
        print(f"| {market} | {cells} |")
    print(f"\n({time.monotonic() - started:.0f} s)")


if __name__ == "__main__":
    main()
