"""Asset checks that read the warehouse over the run's window (dbt tests cover keys and values).

- `market_features_before_game_date` (player_market_features): the leakage guard, blocking.
- `line_match_rate` (market_lines_consensus): share of the window's players with a line in any
  market (player and date) who are known box-score players (any game up to that date); WARN below
  99%, unmatched sportsbook names listed (add them to the `player_aliases` seed). A known player
  absent from the date's box score (ruled out before tip-off) is matched: his prediction is graded VOID.
- `grading_coverage` (grading_coverage_daily): graded / gradable per date and market; WARN below
  90%, ERROR below 70%, naming the dates and markets.
"""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    MetadataValue,
    asset_check,
)

from nba_assets.lib import tables
from nba_assets.lib.partitions import daily_partitions
from nba_assets.lib.window import window_bounds
from resources.interfaces import Warehouse

MATCH_RATE_WARN_BELOW = 99.0


def _leaked_rows(warehouse: Warehouse, table: tuple[str, str], start, end, key: str) -> AssetCheckResult:
    """Feature rows of the window whose latest used game is on or after their own date."""
    leaked = warehouse.query(
        f"SELECT game_date, {key}, last_feature_game_date "
        f"FROM {warehouse.relation(*table)} "
        "WHERE game_date >= ? AND game_date < ? AND last_feature_game_date >= game_date "
        f"ORDER BY game_date, {key}",
        [start, end],
    )
    leaked["label"] = leaked[key.split(", ")].astype(str).agg(" ".join, axis=1) if len(leaked) else ""
    listing = "\n".join(
        f"- {r.game_date:%Y-%m-%d} {r.label}: used a game of {r.last_feature_game_date:%Y-%m-%d}"
        for r in leaked.head(50).itertuples()
    )
    return AssetCheckResult(
        passed=leaked.empty,
        severity=AssetCheckSeverity.ERROR,
        description=(
            "No feature row uses its own date or later."
            if leaked.empty
            else f"{len(leaked)} feature rows use games on or after their date: "
            + ", ".join(f"{r.label} {r.game_date:%Y-%m-%d}" for r in leaked.head(10).itertuples())
        ),
        metadata={"leaked_rows": len(leaked), "rows": MetadataValue.md(listing or "none")},
    )


@asset_check(
    asset="player_market_features",
    partitions_def=daily_partitions,
    blocking=True,
    pool="warehouse",
    description="Leakage guard of every market's features: no row uses a game (the player's or "
    "his opponent's) on or after its own date. Blocking: market predictions do not run on leaks.",
)
def market_features_before_game_date(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    start, end = window_bounds(context)
    return _leaked_rows(warehouse, tables.PLAYER_MARKET_FEATURES, start, end, "player_lookup, market")


COVERAGE_WARN_BELOW = 90.0
COVERAGE_ERROR_BELOW = 70.0


@asset_check(
    asset="market_lines_consensus",
    partitions_def=daily_partitions,
    additional_deps=["player_game_summary"],
    pool="warehouse",
    description="At least 99% of the window's players with a line (any market) are known box-score players; lists the unmatched names.",
)
def line_match_rate(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    start, end = window_bounds(context)
    lines = warehouse.query(
        f"""
        WITH line_players AS (
            SELECT game_date, player_lookup, max(player_name) AS player_name
            FROM {warehouse.relation(*tables.MARKET_LINES_CONSENSUS)}
            WHERE game_date >= ? AND game_date < ?
            GROUP BY game_date, player_lookup
        ),
        known_players AS (
            SELECT player_lookup, min(game_date) AS first_game_date
            FROM {warehouse.relation(*tables.PLAYER_GAME_SUMMARY)}
            WHERE game_date < ?
            GROUP BY player_lookup
        )
        SELECT l.game_date, l.player_lookup, l.player_name,
               k.player_lookup IS NOT NULL AS matched
        FROM line_players l
        LEFT JOIN known_players k
            ON k.player_lookup = l.player_lookup AND k.first_game_date <= l.game_date
        """,
        [start, end, end],
    )
    total = len(lines)
    matched = int(lines["matched"].sum()) if total else 0
    rate = 100.0 * matched / total if total else 100.0
    unmatched = lines[~lines["matched"]] if total else lines
    names = (
        unmatched.groupby("player_name")["game_date"].count().sort_values(ascending=False) if len(unmatched) else None
    )
    listing = "\n".join(f"- {name}: {n} date(s)" for name, n in names.head(50).items()) if names is not None else "none"
    return AssetCheckResult(
        passed=rate >= MATCH_RATE_WARN_BELOW,
        severity=AssetCheckSeverity.WARN,
        description=f"{matched} of {total} players with a line (per date) match a box-score player ({rate:.2f}%).",
        metadata={
            "match_rate_pct": round(rate, 2),
            "lines": total,
            "unmatched": total - matched,
            "unmatched_names": MetadataValue.md(listing),
        },
    )


@asset_check(
    asset="grading_coverage_daily",
    partitions_def=daily_partitions,
    pool="warehouse",
    description="Graded / gradable predictions per date and market (every system): WARN below 90%, ERROR below 70%.",
)
def grading_coverage(context: AssetCheckExecutionContext, warehouse: Warehouse) -> AssetCheckResult:
    start, end = window_bounds(context)
    daily = warehouse.query(
        f"SELECT game_date, market, gradable, graded, coverage_pct, status "
        f"FROM {warehouse.relation(*tables.GRADING_COVERAGE_DAILY)} "
        "WHERE game_date >= ? AND game_date < ? ORDER BY game_date, market",
        [start, end],
    )
    low = daily[daily["coverage_pct"] < COVERAGE_WARN_BELOW]
    very_low = daily[daily["coverage_pct"] < COVERAGE_ERROR_BELOW]
    severity = AssetCheckSeverity.ERROR if len(very_low) else AssetCheckSeverity.WARN
    listing = "\n".join(
        f"- {r.game_date:%Y-%m-%d} {r.market}: {r.graded}/{r.gradable} ({r.coverage_pct}%, {r.status})"
        for r in low.head(50).itertuples()
    )
    overall = 100.0 * daily["graded"].sum() / daily["gradable"].sum() if len(daily) else None
    markets = sorted(daily["market"].unique()) if len(daily) else []
    return AssetCheckResult(
        passed=low.empty,
        severity=severity,
        description=(
            f"{daily['game_date'].nunique()} dates x {len(markets)} markets, all at or above {COVERAGE_WARN_BELOW:.0f}%."
            if low.empty
            else f"{len(low)} of {len(daily)} date-markets below {COVERAGE_WARN_BELOW:.0f}% "
            f"({len(very_low)} below {COVERAGE_ERROR_BELOW:.0f}%)."
        ),
        metadata={
            "dates": int(daily["game_date"].nunique()) if len(daily) else 0,
            "markets": MetadataValue.json(markets),
            "date_markets": len(daily),
            "dates_below_90": len(low),
            "dates_below_70": len(very_low),
            "overall_coverage_pct": round(float(overall), 2) if overall is not None else None,
            "low_dates": MetadataValue.md(listing or "none"),
        },
    )
