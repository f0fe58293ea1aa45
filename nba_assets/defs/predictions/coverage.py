"""Prediction coverage: per date and market, of the players with a line, how many got
probabilities (the replaced system once priced 26 of 200+ players on a slate and nothing alerted
until the next day). Issue 22.

Per date and market:
- `lines`: players with a consensus line (analytics.market_lines_consensus);
- `no_history`: of them, players the baseline (moving_average_v1, every market) found no earlier
  game for (no mean: nothing to price honestly);
- `priced`: players with a line that got P(over) from at least one system;
- coverage = priced / (lines - no_history): players with a line and a usable history that got
  probabilities. A player with a line missing from the predictions altogether (a name no alias
  resolves, a dropped feature row) counts against it.

The checks `prediction_coverage_<market>` WARN when a date is below gate.COVERAGE_WARN; best
bets of a date and market below gate.COVERAGE_BLOCK are not published (best_bets.py, reason in the
export): a slate priced for a few players is a broken run, not a selection.
"""

import datetime as dt
from typing import TYPE_CHECKING

from dagster import AssetCheckResult, AssetCheckSeverity, AssetCheckSpec, MetadataValue, multi_asset_check

from nba_assets.defs.predictions.market_predictions import BASELINE
from nba_assets.lib import gate, tables
from nba_assets.lib.markets import MARKET_KEYS
from nba_assets.lib.partitions import daily_partitions
from nba_assets.lib.window import window_bounds
from resources.interfaces import Warehouse

if TYPE_CHECKING:
    import pandas as pd

COLUMNS = ["game_date", "market", "lines", "no_history", "priced", "coverage"]


def prediction_coverage(warehouse: Warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    """COLUMNS per date and market of start..end (exclusive) with lines."""
    import pandas as pd

    if not (
        warehouse.table_exists(*tables.MARKET_LINES_CONSENSUS)
        and warehouse.table_exists(*tables.MARKET_PROP_PREDICTIONS)
    ):
        return pd.DataFrame(columns=COLUMNS)
    predictions = (
        f"(SELECT * FROM {warehouse.relation(*tables.MARKET_PROP_PREDICTIONS)} WHERE game_date >= ? AND game_date < ?)"
    )
    frame = warehouse.query(
        f"""
        WITH per_player AS (
            SELECT l.game_date, l.market, l.player_lookup,
                   MAX(CASE WHEN p.system_id = '{BASELINE}' AND p.predicted_value IS NULL THEN 1 ELSE 0 END) AS no_history,
                   MAX(CASE WHEN p.p_over IS NOT NULL THEN 1 ELSE 0 END) AS priced
            FROM {warehouse.relation(*tables.MARKET_LINES_CONSENSUS)} l
            LEFT JOIN {predictions} p
              ON p.game_date = l.game_date AND p.player_lookup = l.player_lookup AND p.market = l.market
            WHERE l.game_date >= ? AND l.game_date < ?
            GROUP BY l.game_date, l.market, l.player_lookup
        )
        SELECT game_date, market, COUNT(*) AS lines, SUM(no_history) AS no_history, SUM(priced) AS priced
        FROM per_player GROUP BY game_date, market ORDER BY game_date, market
        """,
        [start, end, start, end],
    )
    frame = frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date)
    for column in ("lines", "no_history", "priced"):
        frame[column] = frame[column].astype(int)
    usable = frame["lines"] - frame["no_history"]
    frame["coverage"] = (frame["priced"] / usable.where(usable > 0)).round(4)
    return frame[COLUMNS]


def blocked(coverage: "pd.DataFrame") -> "pd.DataFrame":
    """(game_date, market, reason) whose best bets are not published: coverage below the block."""
    low = coverage[coverage["coverage"].fillna(0.0) < gate.COVERAGE_BLOCK]
    return low.assign(
        reason=[
            f"prediction coverage {r.priced}/{r.lines - r.no_history} players with a line and history "
            f"({_pct(r.coverage)}) below {100 * gate.COVERAGE_BLOCK:.0f}%: best bets of this market not published"
            for r in low.itertuples()
        ]
    )[["game_date", "market", "reason"]]


def _pct(value) -> str:
    return "n/a" if value != value or value is None else f"{100 * value:.1f}%"


def coverage_table(coverage: "pd.DataFrame") -> str:
    lines = ["| date | market | lines | no history | priced | coverage |", "|---|---|---:|---:|---:|---:|"]
    lines += [
        f"| {r.game_date} | {r.market} | {r.lines} | {r.no_history} | {r.priced} | {_pct(r.coverage)} |"
        for r in coverage.itertuples()
    ]
    return "\n".join(lines)


SPECS = [
    AssetCheckSpec(
        f"prediction_coverage_{market}",
        asset="market_prop_predictions",
        partitions_def=daily_partitions,
        description=f"{market}: players with a line and a usable history that got probabilities / players with "
        f"a line and history, per date; WARN below {100 * gate.COVERAGE_WARN:.0f}%; below "
        f"{100 * gate.COVERAGE_BLOCK:.0f}% the date's {market} best bets are not published.",
    )
    for market in MARKET_KEYS
]


@multi_asset_check(specs=SPECS, can_subset=True, pool="warehouse", name="prediction_coverage")
def prediction_coverage_checks(context, warehouse: Warehouse):
    start, end = window_bounds(context)
    selected = {key.name for key in context.selected_asset_check_keys}
    yield from (r for r in coverage_results(prediction_coverage(warehouse, start, end)) if r.check_name in selected)


def coverage_results(coverage: "pd.DataFrame") -> list[AssetCheckResult]:
    """One result per market: WARN when a date of the window is below gate.COVERAGE_WARN."""
    results = []
    for spec in SPECS:
        market = spec.name.removeprefix("prediction_coverage_")
        rows = coverage[coverage["market"] == market]
        low = rows[rows["coverage"].fillna(0.0) < gate.COVERAGE_WARN]
        results.append(
            AssetCheckResult(
                check_name=spec.name,
                asset_key=spec.asset_key,
                passed=low.empty,
                severity=AssetCheckSeverity.WARN,
                description=(
                    f"{len(rows)} dates with lines, every one at or above {100 * gate.COVERAGE_WARN:.0f}%"
                    if low.empty
                    else f"{len(low)} of {len(rows)} dates below {100 * gate.COVERAGE_WARN:.0f}%: "
                    + ", ".join(f"{r.game_date} {_pct(r.coverage)}" for r in low.head(10).itertuples())
                ),
                metadata={
                    "dates": len(rows),
                    "dates_below": len(low),
                    "lowest_coverage_pct": None
                    if rows.empty
                    else float(round(100 * rows["coverage"].fillna(0).min(), 1)),
                    "by_date": MetadataValue.md(coverage_table(rows) if len(rows) else "no lines"),
                },
            )
        )
    return results
