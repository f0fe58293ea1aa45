"""Best bets: the day's picks ranked by expected value at the consensus price, across markets,
with quarter-Kelly stakes, gated by each system's record (system_health.py).

Candidates: sides of nba_predictions.market_prop_predictions with EV > 0 at a real price. A
candidate of (system, market) is published only when that system's record in that market over the
21 graded game dates before the day earns it (status healthy: hit rate at or above the break-even
of its prices and Brier skill >= 0 against the de-vigged market, n >= 150). Then by EV, at most 2 picks per game and 15 per day. Tiers by EV per unit:
premium >= 0.10, strong 0.05-0.10, value below.

The gate of every (system, market) and date is kept in nba_predictions.best_bets_gate with its
record and reason, so the export can say why a day has no picks. The asset checks
`health_<system>_<market>` (results of this asset's step) report the window's last date (WARN
when degrading or below break-even).

This replaces the seed's rule (ML points system only, ranked by points edge): that system's own
backtest was below break-even and its picks were still published.
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
from nba_assets.defs.predictions import system_health as health
from nba_assets.defs.predictions.market_predictions import BASELINE
from nba_assets.lib import tables
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.markets import MARKET_KEYS
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
    "status": "VARCHAR",
    "publish": "BOOLEAN",
    "reason": "VARCHAR",
}


def tier(ev: float) -> str:
    return "premium" if ev >= 0.10 else "strong" if ev >= 0.05 else "value"


def select_best_bets(candidates: "pd.DataFrame", gate: "pd.DataFrame") -> "pd.DataFrame":
    """Per date: the published systems' positive-EV sides, highest EV first, at most 2 per game
    and 15 per day, ranked, with tiers."""
    import numpy as np
    import pandas as pd

    published = gate.loc[gate["publish"].astype(bool), ["game_date", "system_id", "market"]]
    eligible = candidates.merge(published, on=["game_date", "system_id", "market"])
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
    result["edge"] = (result["predicted_value"] - result["line"]).round(2)
    result["confidence"] = np.where(over, result["p_over"], result["p_under"])
    return result[list(COLUMN_TYPES)]


def candidates_of(warehouse: Warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    import pandas as pd

    frame = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.MARKET_PROP_PREDICTIONS)} "
        "WHERE game_date >= ? AND game_date < ? AND recommendation IN ('OVER', 'UNDER')",
        [start, end],
    )
    return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.date)


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
    gate = health.gate(history, days, pairs)
    counts = candidates.groupby(["game_date", "system_id", "market"]).size().rename("candidates").reset_index()
    gate = gate.merge(counts, on=["game_date", "system_id", "market"], how="left")
    gate["candidates"] = gate["candidates"].fillna(0).astype(int)
    return gate[list(GATE_COLUMN_TYPES)] if len(gate) else pd.DataFrame(columns=list(GATE_COLUMN_TYPES))


HEALTH_SPECS = [
    AssetCheckSpec(
        f"health_{system}_{market}",
        asset="best_bets",
        partitions_def=daily_partitions,
        description=f"{system} in {market}: Brier skill vs the de-vigged market and hit rate "
        f"(95% interval) over the last {health.WINDOW_DATES} graded dates (n >= {health.MIN_ROWS}). "
        "WARN when degrading or held back from the best bets.",
    )
    for system in SYSTEMS
    for market in MARKET_KEYS
]


@asset(
    **partitioned("predictions", {"python", "pandas", "duckdb"}),
    deps=["market_prop_predictions", "market_prop_accuracy"],
    check_specs=HEALTH_SPECS,
    description="The day's best bets across markets by expected value at the consensus price, "
    "quarter-Kelly stakes, at most 2 per game and 15 per day, only from systems whose record over "
    "the last 21 graded dates earns it; nba_predictions.best_bets and best_bets_gate (why).",
)
@warehouse_session
def best_bets(context: AssetExecutionContext, warehouse: Warehouse) -> MaterializeResult:
    start, end = window_bounds(context)
    candidates = candidates_of(warehouse, start, end)
    gate = gate_of(warehouse, start, end, candidates)
    chosen = select_best_bets(candidates, gate)
    warehouse.replace_window(*tables.BEST_BETS, chosen, COLUMN_TYPES, start, end)
    warehouse.replace_window(*tables.BEST_BETS_GATE, gate, GATE_COLUMN_TYPES, start, end)
    held = gate[~gate["publish"].astype(bool) & (gate["candidates"] > 0)]
    return MaterializeResult(
        check_results=health_results(gate),
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
            k: _plain(getattr(row, k))
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
                "status",
            )
        }
        metadata["game_date"] = str(row.game_date)[:10]
        # An unproven record is not a degradation: it passes (and its picks are held back).
        results.append(
            AssetCheckResult(
                check_name=spec.name,
                passed=row.status in ("healthy", "insufficient"),
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
