"""Walk-forward: the picks at the consensus price beside the same rule at the best real price.

The published record (defs/grading/published_record.py) shows both prices for the picks the gate
published, and on the shipped archive it published none: no system earns publication. This
benchmark answers the question without the gate, over every graded date of a replayed warehouse,
per market and system:

- **consensus**: every side with EV > 0 at the consensus line and the books' average price (what
  picks were priced at before issue 22; no book offers that price), graded at the consensus line;
- **best price**: every side with EV > 0 at its best unsuspected book (lib/pricing.py: the
  consensus line or a better one the system's distribution can price), graded at the line taken,
  paid at that book's price.

Both at the shrunk probability the picks use (gate.shrunk_over). Bets, hit rate and ROI per unit
with 95% intervals clustered by date (market_backtest.pick_stats). Numbers, never assertions.

    .venv/bin/python benchmarks/best_price.py [warehouse.duckdb]   # default: NBA_DUCKDB_PATH or .data/
    (benchmarks/ml_backtest.py prints it too, on the season it replays)
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

# The predictions with what grading knows of each (the player's outcome and stat).
SIDES_SQL = """
SELECT p.game_date, p.player_lookup, p.market, p.system_id, p.predicted_value, p.line, p.over_odds,
       p.under_odds, p.distribution, p.dispersion, p.p_over, p.p_under, p.p_push, p.market_p_over,
       a.actual_value, a.player_outcome
FROM nba_predictions.market_prop_predictions p
JOIN nba_grading.market_prop_accuracy a USING (game_date, player_lookup, market, system_id)
WHERE p.p_over IS NOT NULL AND p.line IS NOT NULL AND a.player_outcome IN ('PLAYED', 'DNP', 'NOT_LISTED')
"""
QUOTES_SQL = "SELECT * FROM nba_analytics.market_book_quotes"


def candidates(conn: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(at the consensus, at the best price): every side with EV > 0 under each pricing, with its
    result at the line it is graded at."""
    from nba_assets.defs.grading.published_record import pick_results
    from nba_assets.lib import pricing

    predictions = conn.execute(SIDES_SQL).df()
    sides = pricing.sides(predictions)
    outcome = sides[["game_date", "player_lookup", "market", "system_id", "actual_value", "player_outcome"]]
    outcome = outcome.drop_duplicates(["game_date", "player_lookup", "market", "system_id"])

    consensus = pricing.consensus_option(sides)
    consensus = consensus[(consensus["consensus_ev"] > 0) & consensus["price"].notna()]
    consensus = consensus.assign(
        ev=consensus["consensus_ev"],
        result=pick_results(
            consensus["recommendation"], consensus["line"], consensus["actual_value"], consensus["player_outcome"]
        ),
    )

    best = pricing.best_prices(sides, pricing.flag_suspect(conn.execute(QUOTES_SQL).df()))
    best = best[best["ev"] > 0].drop(columns=["actual_value", "player_outcome"], errors="ignore")
    best = best.merge(outcome, on=["game_date", "player_lookup", "market", "system_id"], how="left")
    best = best.assign(
        result=pick_results(best["recommendation"], best["line"], best["actual_value"], best["player_outcome"])
    )
    return consensus, best


def comparison(consensus: pd.DataFrame, best: pd.DataFrame) -> pd.DataFrame:
    """Per market and system: each pricing's bets, hit rate and ROI (95% intervals by date)."""
    import pandas as pd

    from nba_assets.defs.grading.market_backtest import pick_arrays, pick_stats

    rows = []
    pairs = sorted({*zip(consensus["market"], consensus["system_id"]), *zip(best["market"], best["system_id"])})
    for market, system in pairs:
        at_consensus = consensus[(consensus["market"] == market) & (consensus["system_id"] == system)]
        at_best = best[(best["market"] == market) & (best["system_id"] == system)]
        row = {"market": market, "system_id": system}
        for name, picks in (("consensus", at_consensus), ("best", at_best)):
            settled = picks[picks["result"].isin(["WIN", "LOSS", "PUSH"])]
            stats = pick_stats(pick_arrays(settled)) if len(settled) else {}
            row |= {
                f"{name}_bets": len(settled),
                f"{name}_hit_rate": stats.get("hit_rate"),
                f"{name}_roi": stats.get("roi"),
                f"{name}_roi_interval": stats.get("roi_interval"),
            }
        settled_best = at_best[at_best["result"].isin(["WIN", "LOSS", "PUSH"])]
        row["best_other_line"] = int((settled_best["line"] != settled_best["consensus_line"]).sum())
        rows.append(row)
    return pd.DataFrame(rows)


def table(frame: pd.DataFrame) -> str:
    def pct(value) -> str:
        return "" if value is None or value != value else f"{100 * value:+.1f}%"

    def interval(values) -> str:
        if not isinstance(values, list) or None in values:
            return ""
        return f"({100 * values[0]:+.1f}% to {100 * values[1]:+.1f}%)"

    lines = [
        "| market | system | consensus: bets, hit rate, ROI (95%) | best price: bets, hit rate, ROI (95%) | "
        "best at another line |",
        "|---|---|---|---|---:|",
    ]

    def cell(bets, hit_rate, roi, roi_interval) -> str:
        if not bets:
            return "0"
        return f"{bets}, {pct(hit_rate).lstrip('+')}, {pct(roi)} {interval(roi_interval)}"

    for r in frame.itertuples():
        consensus = cell(r.consensus_bets, r.consensus_hit_rate, r.consensus_roi, r.consensus_roi_interval)
        best = cell(r.best_bets, r.best_hit_rate, r.best_roi, r.best_roi_interval)
        lines.append(f"| {r.market} | {r.system_id} | {consensus} | {best} | {int(r.best_other_line)} |")
    return "\n".join(lines)


def report(path: Path) -> str:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        first, last = conn.execute(
            "SELECT min(game_date), max(game_date) FROM nba_grading.market_prop_accuracy WHERE is_graded"
        ).fetchone()
        consensus, best = candidates(conn)
    return (
        f"Every side with EV > 0 (ungated), {first}..{last}: at the consensus line and average price "
        f"beside the best unsuspected book's line and price (benchmarks/best_price.py)\n\n"
        + table(comparison(consensus, best))
    )


def main() -> None:
    import warnings

    warnings.filterwarnings("ignore", message=".*is currently in beta")  # Dagster's, at import
    default = os.environ.get("NBA_DUCKDB_PATH", str(ROOT / ".data" / "warehouse.duckdb"))
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else default)))


if __name__ == "__main__":
    main()
