"""Best bets: the day's picks across markets, gated by each system's record (the rule in
nba_assets/lib/gate.py, docs/gate.md), ranked by expected value at the system's probability
shrunk toward the de-vigged market (gate.SHRINK), with quarter-Kelly stakes at that probability.

Candidates: sides of nba_predictions.market_prop_predictions with EV > 0 at a real price. A
candidate of (system, market) is published only when that system's record in that market earns
it: the lower bound of the date-clustered interval of its Brier skill against the de-vigged
market, over its last gate.WINDOW_DATES graded dates before the day, is above 0. Then by the
shrunk EV (still > 0), at most 2 picks per game and 15 per day. Tiers by that EV per unit:
premium >= 0.10, strong 0.05-0.10, value below.

The gate of every (system, market) and date is kept in nba_predictions.best_bets_gate with its
record and reason, so the export can say why a day has no picks. The asset checks
`health_<system>_<market>` (results of this asset's step) report the window's last date (WARN
when the whole interval is below 0: worse than the market).
"""

import datetime as dt
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    asset,
)

from nba_assets.defs.model.market_models import SYSTEM as ML_SYSTEM
from nba_assets.defs.predictions import coverage
from nba_assets.defs.predictions import system_health as health
from nba_assets.defs.predictions.market_predictions import BASELINE
from nba_assets.lib import gate as gate_rule
from nba_assets.lib import pricing, tables
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.markets import MARKET_KEYS, YES_NO_KEYS
from nba_assets.lib.metadata import preview_metadata, rows_by_date, window_metadata
from nba_assets.lib.partitions import daily_partitions
from nba_assets.lib.window import window_bounds
from resources.interfaces import Warehouse

if TYPE_CHECKING:
    import pandas as pd

MAX_PER_GAME = 2
MAX_PER_DAY = 15
# Systems with probabilities per market (market_prop_predictions), gated alike.
SYSTEMS = (BASELINE, ML_SYSTEM)
# Graded history loaded before the window: enough for 21 game dates across an off-season.
HISTORY_DAYS = 400

COLUMN_TYPES = {
    "game_date": "DATE",
    "rank": "INTEGER",
    "tier": "VARCHAR",
    "player_lookup": "VARCHAR",
    "player_name": "VARCHAR",
    "team_abbr": "VARCHAR",
    "opponent_abbr": "VARCHAR",
    "system_id": "VARCHAR",
    "market": "VARCHAR",
    "recommendation": "VARCHAR",
    "line": "DOUBLE",
    "predicted_value": "DOUBLE",
    "edge": "DOUBLE",
    "confidence": "DOUBLE",
    "p_over": "DOUBLE",
    "p_under": "DOUBLE",
    "p_push": "DOUBLE",
    "price": "DOUBLE",
    "ev": "DOUBLE",
    "stake": "DOUBLE",
    "book": "VARCHAR",
    "consensus_line": "DOUBLE",
    "consensus_price": "DOUBLE",
    "consensus_ev": "DOUBLE",
    "model_ev": "DOUBLE",
}

GATE_COLUMN_TYPES = {
    "game_date": "DATE",
    "system_id": "VARCHAR",
    "market": "VARCHAR",
    "candidates": "INTEGER",
    "dates": "INTEGER",
    "scored_rows": "INTEGER",
    "brier": "DOUBLE",
    "market_brier": "DOUBLE",
    "brier_skill": "DOUBLE",
    "picks": "INTEGER",
    "hit_rate": "DOUBLE",
    "hit_rate_low": "DOUBLE",
    "hit_rate_high": "DOUBLE",
    "break_even": "DOUBLE",
    "roi": "DOUBLE",
    "skill_low": "DOUBLE",
    "skill_high": "DOUBLE",
    "coverage": "DOUBLE",
    "status": "VARCHAR",
    "publish": "BOOLEAN",
    "reason": "VARCHAR",
}


def tier(ev: float) -> str:
    return "premium" if ev >= 0.10 else "strong" if ev >= 0.05 else "value"


def select_best_bets(priced: "pd.DataFrame", gate: "pd.DataFrame") -> "pd.DataFrame":
    """Per date: the published systems' sides (priced at their best book: pricing.best_prices)
    with a positive EV at the shrunk probability, highest first, at most 2 per game and 15 per
    day, ranked, with tiers."""
    import numpy as np
    import pandas as pd

    published = gate.loc[gate["publish"].astype(bool), ["game_date", "system_id", "market"]]
    eligible = priced.merge(published, on=["game_date", "system_id", "market"])
    eligible = eligible[eligible["ev"] > 0]
    if eligible.empty:
        return pd.DataFrame(columns=list(COLUMN_TYPES))
    teams = eligible[["team_abbr", "opponent_abbr"]].fillna("")
    eligible = eligible.assign(
        game=np.minimum(teams["team_abbr"], teams["opponent_abbr"])
        + "-"
        + np.maximum(teams["team_abbr"], teams["opponent_abbr"])
    )
    ordered = eligible.sort_values(
        ["game_date", "ev", "stake", "player_lookup", "market"], ascending=[True, False, False, True, True]
    )
    chosen = []
    for _, day in ordered.groupby("game_date", sort=True):
        per_game = day.groupby("game").cumcount()
        kept = day[per_game < MAX_PER_GAME].head(MAX_PER_DAY)
        chosen.append(kept.assign(rank=range(1, len(kept) + 1)))
    result = pd.concat(chosen, ignore_index=True)
    over = result["recommendation"] == "OVER"
    result["tier"] = result["ev"].map(tier)
    # A yes/no market's mean is P(yes) and its line 0.5: no edge in the stat's unit.
    result["edge"] = (result["predicted_value"] - result["line"]).round(2).where(~result["market"].isin(YES_NO_KEYS))
    result["confidence"] = np.where(over, result["p_over"], result["p_under"])
    return result.reindex(columns=list(COLUMN_TYPES))


def predictions_of(warehouse: Warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    import pandas as pd

    frame = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.MARKET_PROP_PREDICTIONS)} WHERE game_date >= ? AND game_date < ?",
        [start, end],
    )
    return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date)


def quotes_of(warehouse: Warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    """Every book's quotes of the window, flagged (pricing.flag_suspect)."""
    import pandas as pd

    frame = warehouse.query(
        f"SELECT game_date, player_lookup, market, bookmaker, line, over_odds, under_odds, books_at_line "
        f"FROM {warehouse.relation(*tables.MARKET_BOOK_QUOTES)} WHERE game_date >= ? AND game_date < ? "
        "ORDER BY game_date, player_lookup, market, bookmaker, line",
        [start, end],
    )
    return pricing.flag_suspect(frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date))


def gate_of(warehouse: Warehouse, start: dt.date, end: dt.date, candidates: "pd.DataFrame") -> "pd.DataFrame":
    """The gate of every date of the window (system_health.gate on the graded history before it)."""
    import pandas as pd

    history = health.graded_market_rows(warehouse, start - dt.timedelta(days=HISTORY_DAYS), end - dt.timedelta(days=1))
    pairs = sorted(
        {(s, m) for s in SYSTEMS for m in MARKET_KEYS} | set(zip(candidates["system_id"], candidates["market"]))
    )
    # Dates with market predictions (games with lines): a date without has no gate to explain.
    dated = warehouse.query(
        f"SELECT DISTINCT game_date FROM {warehouse.relation(*tables.MARKET_PROP_PREDICTIONS)} "
        "WHERE game_date >= ? AND game_date < ?",
        [start, end],
    )
    days = sorted(pd.to_datetime(dated["game_date"]).dt.date)
    if not days:  # no lines in the window (e.g. dates past the archive): nothing to gate
        return pd.DataFrame(columns=list(GATE_COLUMN_TYPES))
    gate = with_coverage(health.gate(history, days, pairs), coverage.prediction_coverage(warehouse, start, end))
    counts = candidates.groupby(["game_date", "system_id", "market"]).size().rename("candidates").reset_index()
    gate = gate.merge(counts, on=["game_date", "system_id", "market"], how="left")
    gate["candidates"] = gate["candidates"].fillna(0).astype(int)
    return gate[list(GATE_COLUMN_TYPES)] if len(gate) else pd.DataFrame(columns=list(GATE_COLUMN_TYPES))


def with_coverage(gate: "pd.DataFrame", coverage_rows: "pd.DataFrame") -> "pd.DataFrame":
    """The gate with each date and market's prediction coverage; not published below the block
    (coverage.py), the reason first."""
    import pandas as pd

    def dated(frame):
        return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date)

    keys = ["game_date", "market"]
    gate = gate.merge(dated(coverage_rows[[*keys, "coverage"]]), on=keys, how="left")
    blocked = gate[keys].merge(dated(coverage.blocked(coverage_rows)), on=keys, how="left")["reason"]
    hit = blocked.notna().to_numpy()
    if hit.any():
        gate.loc[hit, "reason"] = blocked[hit].astype(str).to_numpy() + "; " + gate.loc[hit, "reason"].astype(str)
        gate.loc[hit, "publish"] = False
    return gate


HEALTH_SPECS = [
    AssetCheckSpec(
        f"health_{system}_{market}",
        asset="best_bets",
        partitions_def=daily_partitions,
        description=f"{system} in {market}: the gate (docs/gate.md): Brier skill vs the de-vigged "
        f"market, its {100 * gate_rule.CONFIDENCE:.0f}% date-clustered interval over the last "
        f"{gate_rule.WINDOW_DATES} graded dates (n >= {gate_rule.MIN_ROWS}); published when the "
        "interval is above 0. WARN when the whole interval is below 0 (worse than the market).",
    )
    for system in SYSTEMS
    for market in MARKET_KEYS
]


SUSPECT_QUOTES_SPEC = AssetCheckSpec(
    "suspect_quotes",
    asset="best_bets",
    partitions_def=daily_partitions,
    description="Quotes the best-price rule refuses (nba_assets/lib/pricing.py): a de-vigged P(over) more "
    f"than {pricing.SUSPECT_GAP} from the median of the books at that line, or a line no second book "
    "quotes; counted per date and book. WARN when a book's quote is far from the others'.",
)


@asset(
    **partitioned("predictions", {"python", "pandas", "duckdb"}),
    deps=["market_prop_predictions", "market_prop_accuracy", "market_book_quotes"],
    check_specs=[*HEALTH_SPECS, SUSPECT_QUOTES_SPEC],
    description="The day's best bets across markets by expected value at the system's probability "
    "shrunk toward the market's, quarter-Kelly stakes, at most 2 per game and 15 per day, only from "
    "systems whose Brier skill beyond the de-vigged market is established (docs/gate.md); "
    "nba_predictions.best_bets and best_bets_gate (why).",
)
@warehouse_session
def best_bets(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    start, end = window_bounds(context)
    predictions = predictions_of(warehouse, start, end)
    candidates = predictions[predictions["recommendation"].isin(["OVER", "UNDER"])]
    quotes = quotes_of(warehouse, start, end)
    gate = gate_of(warehouse, start, end, candidates)
    # Only the sides of published (date, system, market) are priced across the books: the rest
    # cannot be picked, and pricing every side of a season at every book's lines took a minute.
    keys = ["game_date", "system_id", "market"]
    published = predictions.merge(gate.loc[gate["publish"].astype(bool), keys], on=keys)
    chosen = select_best_bets(pricing.best_prices(pricing.sides(published), quotes), gate)
    warehouse.replace_window(*tables.BEST_BETS, chosen, COLUMN_TYPES, start, end)
    warehouse.replace_window(*tables.BEST_BETS_GATE, gate, GATE_COLUMN_TYPES, start, end)
    held = gate[~gate["publish"].astype(bool) & (gate["candidates"] > 0)]
    return MaterializeResult(
        check_results=[*health_results(gate), suspect_quotes_result(quotes)],
        metadata={
            **window_metadata(context, rows_by_date(chosen), preview_metadata(chosen)),
            "candidates": len(candidates),
            "held_back_candidates": int(held["candidates"].sum()),
            **{f"tier_{name}": int((chosen["tier"] == name).sum()) for name in ("premium", "strong", "value")},
            "gate_last_date": MetadataValue.md(
                _gate_table(gate[gate["game_date"] == gate["game_date"].max()]) if len(gate) else "none"
            ),
        },
    )


def suspect_quotes_result(quotes: "pd.DataFrame") -> AssetCheckResult:
    """Suspect quotes of the window per date and book (never taken). Far-from-the-books quotes
    WARN (a stale or wrong price); single-book lines (alternates no one else posts) are counted."""
    counts = pricing.suspect_counts(quotes)
    flagged = counts[(counts["single_book"] > 0) | (counts["far_from_books"] > 0)]
    far = int(counts["far_from_books"].sum())
    lines = ["| date | book | quotes | single book | far from books |", "|---|---|---:|---:|---:|"]
    lines += [
        f"| {r.game_date} | {r.bookmaker} | {r.quotes} | {r.single_book} | {r.far_from_books} |"
        for r in flagged.itertuples()
    ]
    return AssetCheckResult(
        check_name=SUSPECT_QUOTES_SPEC.name,
        passed=far == 0,
        severity=AssetCheckSeverity.WARN,
        description=f"{far} quotes far from the other books' and {int(counts['single_book'].sum())} single-book "
        f"lines of {len(quotes)} quotes: never taken",
        metadata={
            "quotes": len(quotes),
            "far_from_books": far,
            "single_book": int(counts["single_book"].sum()),
            "by_date_and_book": MetadataValue.md("\n".join(lines)),
        },
    )


def _gate_table(gate: "pd.DataFrame") -> str:
    lines = ["| system | market | status | candidates | reason |", "|---|---|---|---:|---|"]
    lines += [f"| {r.system_id} | {r.market} | {r.status} | {r.candidates} | {r.reason} |" for r in gate.itertuples()]
    return "\n".join(lines)


def health_results(gate: "pd.DataFrame") -> list[AssetCheckResult]:
    """One check result per system and market: the gate of the window's last date. Computed with
    the gate (one step, not a second one that reads it back)."""
    last = gate[gate["game_date"] == gate["game_date"].max()] if len(gate) else gate
    by_key = {(r.system_id, r.market): r for r in last.itertuples()}
    results = []
    for spec in HEALTH_SPECS:
        system, market = _system_market(spec.name)
        row = by_key.get((system, market))
        if row is None:
            results.append(
                AssetCheckResult(
                    check_name=spec.name, passed=True, description="no gate in this window (no game date with lines)"
                )
            )
            continue
        metadata = {
            k: _plain(getattr(row, k, None))
            for k in (
                "dates",
                "scored_rows",
                "brier",
                "market_brier",
                "brier_skill",
                "picks",
                "hit_rate",
                "hit_rate_low",
                "hit_rate_high",
                "break_even",
                "roi",
                "skill_low",
                "skill_high",
                "coverage",
                "status",
            )
        }
        metadata["game_date"] = str(row.game_date)[:10]
        # An unproven record is not a degradation: it passes (and its picks are held back).
        results.append(
            AssetCheckResult(
                check_name=spec.name,
                passed=row.status != "worse_than_market",
                severity=AssetCheckSeverity.WARN,
                description=f"{row.status}: {row.reason}",
                metadata=metadata,
            )
        )
    return results


def _system_market(check_name: str) -> tuple[str, str]:
    for system in SYSTEMS:
        prefix = f"health_{system}_"
        if check_name.startswith(prefix):
            return system, check_name[len(prefix) :]
    raise KeyError(check_name)


def _plain(value):
    import math

    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
