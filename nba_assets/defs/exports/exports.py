"""Exports: JSON files for the website in the object store under `v1/` (shapes in
`export_schemas.py`, validated before writing).

- `export_predictions`  v1/predictions/{date}.json  every prediction with a line: every market of
                        every system (moving_average_v1, ml_market_v1)
- `export_best_bets`    v1/best-bets/{date}.json    the day's best bets, each system's gate, and
                        why a day has no picks
- `export_results`      v1/results/{date}.json      the best bets graded, with a summary
- `export_system_performance`  v1/systems/performance.json  the latest backtest report (the points
                        market by edge bucket, and every market against the market)

All are partitioned by game date (one partitions definition for the graph: a backfill is one run).
"""

import datetime as dt
import json
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from nba_assets.defs.grading import published_record
from nba_assets.defs.grading.market_backtest import report_key
from nba_assets.lib import export_schemas as schemas
from nba_assets.lib import tables
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.automation import healing_condition
from nba_assets.lib.markets import YES_NO_KEYS
from nba_assets.lib.window import window_dates
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import pandas as pd

DAILY = partitioned("exports", {"python", "json"})


def _none(value):
    """Warehouse nulls (None, NaN, pd.NA, NaT) as JSON null."""
    import pandas as pd

    return None if value is None or (not isinstance(value, str) and pd.isna(value)) else value


def _write(store: ObjectStore, key: str, document) -> str:
    return store.put_bytes(key, document.model_dump_json(indent=1).encode())


def _by_date(frame: "pd.DataFrame") -> "dict[dt.date, pd.DataFrame]":
    """The window's rows split by game date once (not filtered again for each of a season's dates)."""
    import pandas as pd

    return {day: rows for day, rows in frame.groupby(pd.to_datetime(frame["game_date"]).dt.date)}


def _rows_of(by_date: dict, day: dt.date) -> list:
    return list(by_date[day].itertuples()) if day in by_date else []


def _pick_fields(row) -> dict:
    return dict(
        player_lookup=row.player_lookup,
        player_name=_none(row.player_name),
        team=_none(row.team_abbr),
        opponent=_none(row.opponent_abbr),
        system_id=row.system_id,
    )


def _daily_result(written: list[str]) -> MaterializeResult:
    return MaterializeResult(
        metadata={"files": len(written), "first_file": MetadataValue.url(written[0]) if written else "none"}
    )


def _probability_fields(row) -> dict:
    return dict(
        market=row.market,
        predicted_value=_none(row.predicted_value),
        p_over=_none(row.p_over),
        p_under=_none(row.p_under),
        p_push=_none(row.p_push),
        price=_none(row.price),
        ev=_none(row.ev),
        stake=_none(row.stake),
    )


def _market_prediction(r) -> "schemas.Prediction":
    predicted = _none(r.predicted_value)
    # A yes/no market's mean is P(yes) and its line 0.5: no edge in the stat's unit.
    edge = None if predicted is None or r.market in YES_NO_KEYS else round(predicted - r.line, 2)
    side = {"OVER": r.p_over, "UNDER": r.p_under}.get(r.recommendation)
    return schemas.Prediction(
        **_pick_fields(r),
        **_probability_fields(r),
        predicted_points=predicted if r.market == "points" else None,
        line=r.line,
        edge=edge,
        recommendation=r.recommendation,
        confidence=_none(side),
        market_p_over=_none(r.market_p_over),
    )


@asset(
    deps=["market_prop_predictions"],
    description="v1/predictions/{date}.json: every prediction with a line - every market of every "
    "system (moving_average_v1, ml_market_v1: P(over/under/push), EV, stake).",
    **DAILY,
)
@warehouse_session
def export_predictions(context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore) -> MaterializeResult:
    days = window_dates(context)
    markets = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.MARKET_PROP_PREDICTIONS)} "
        "WHERE game_date >= ? AND game_date <= ? AND line IS NOT NULL "
        "ORDER BY game_date, market, player_lookup, system_id",
        [days[0], days[-1]],
    )
    by_market, written = _by_date(markets), []
    for day in days:
        items = [_market_prediction(r) for r in _rows_of(by_market, day)]
        written.append(
            _write(landing, f"v1/predictions/{day}.json", schemas.PredictionsFile(game_date=day, predictions=items))
        )
    return _daily_result(written)


def _best_bet(r) -> dict:
    return dict(
        rank=int(r.rank),
        book=_none(getattr(r, "book", None)),
        consensus_line=_none(getattr(r, "consensus_line", None)),
        consensus_price=_none(getattr(r, "consensus_price", None)),
        consensus_ev=_none(getattr(r, "consensus_ev", None)),
        tier=r.tier,
        **_pick_fields(r),
        **_probability_fields(r),
        recommendation=r.recommendation,
        line=r.line,
        predicted_points=_none(r.predicted_value) if r.market == "points" else None,
        edge=r.edge,
        confidence=_none(r.confidence),
    )


def _gate_entry(g) -> "schemas.SystemGate":
    return schemas.SystemGate(
        system_id=g.system_id,
        market=g.market,
        status=g.status,
        published=bool(g.publish),
        candidates=int(g.candidates),
        scored_rows=int(g.scored_rows),
        brier_skill=_none(g.brier_skill),
        skill_low=_none(g.skill_low),
        skill_high=_none(g.skill_high),
        coverage=_none(getattr(g, "coverage", None)),
        picks=int(g.picks),
        hit_rate=_none(g.hit_rate),
        hit_rate_low=_none(g.hit_rate_low),
        hit_rate_high=_none(g.hit_rate_high),
        break_even=_none(g.break_even),
        reason=g.reason,
    )


def no_picks_reason(gate: list) -> str:
    """Why a day has no best bets, from its gate rows."""
    with_candidates = [g for g in gate if g.candidates > 0]
    if not gate:
        return "no predictions for this date (no games or no lines)"
    if not with_candidates:
        return "no side of any market has a positive expected value at the consensus price"
    return "every system with a positive-EV pick is held back by its record: " + "; ".join(
        f"{g.system_id} {g.market} ({g.candidates} candidates): {g.status}, {g.reason}" for g in with_candidates
    )


@asset(
    deps=["best_bets"],
    description="v1/best-bets/{date}.json: the day's best bets (by EV, with "
    "stakes), each system's gate, and why a day has no picks.",
    **DAILY,
)
@warehouse_session
def export_best_bets(context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore) -> MaterializeResult:
    days = window_dates(context)
    rows = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.BEST_BETS)} "
        "WHERE game_date >= ? AND game_date <= ? ORDER BY game_date, rank",
        [days[0], days[-1]],
    )
    gate = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.BEST_BETS_GATE)} "
        "WHERE game_date >= ? AND game_date <= ? ORDER BY game_date, system_id, market",
        [days[0], days[-1]],
    )
    by_date, gate_by_date, written = _by_date(rows), _by_date(gate), []
    for day in days:
        picks = [schemas.BestBet(**_best_bet(r)) for r in _rows_of(by_date, day)]
        systems = [_gate_entry(g) for g in _rows_of(gate_by_date, day)]
        written.append(
            _write(
                landing,
                f"v1/best-bets/{day}.json",
                schemas.BestBetsFile(
                    game_date=day,
                    picks=picks,
                    systems=systems,
                    no_picks_reason=None if picks else no_picks_reason(systems),
                ),
            )
        )
    return _daily_result(written)


def _profit(result: str, stake: float, price: float) -> float:
    from nba_assets.lib.probability import american_to_decimal

    if result == "WIN":
        return stake * (float(american_to_decimal(price)) - 1)
    return -stake if result == "LOSS" else 0.0


@asset(
    deps=["best_bets", "market_prop_accuracy"],
    description="v1/results/{date}.json: the best "
    "bets graded (WIN/LOSS/PUSH/VOID/PENDING) with the day's summary, stakes and profit.",
    **DAILY,
    automation_condition=healing_condition("export_results"),
)  # heals after late box scores
def export_results(context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore) -> MaterializeResult:
    days = window_dates(context)
    rows = warehouse.query(
        f"""SELECT b.*, a.actual_value, a.player_outcome
        FROM {warehouse.relation(*tables.BEST_BETS)} b
        LEFT JOIN {warehouse.relation(*tables.MARKET_PROP_ACCURACY)} a
          USING (game_date, player_lookup, system_id, market)
        WHERE b.game_date >= ? AND b.game_date <= ? ORDER BY b.game_date, b.rank""",
        [days[0], days[-1]],
    )
    # Graded at the pick's own line and side (the best price may be a better line than the
    # consensus one market_prop_accuracy grades): the published record's rule.
    rows["result"] = published_record.pick_results(
        rows["recommendation"], rows["line"], rows["actual_value"], rows["player_outcome"]
    )
    by_date, written = _by_date(rows), []
    for day in days:
        picks = []
        for r in _rows_of(by_date, day):
            actual = _none(r.actual_value)
            picks.append(
                schemas.GradedPick(
                    **_best_bet(r),
                    result=r.result if isinstance(r.result, str) else "PENDING",
                    actual_points=int(actual) if actual is not None and r.market == "points" else None,
                    actual_value=None if actual is None else float(actual),
                )
            )
        count = {k: sum(p.result == k for p in picks) for k in ("WIN", "LOSS", "PUSH", "VOID", "PENDING")}
        decided = count["WIN"] + count["LOSS"]
        staked = sum(p.stake or 0.0 for p in picks if p.result in ("WIN", "LOSS", "PUSH"))
        summary = schemas.ResultsSummary(
            picks=len(picks),
            wins=count["WIN"],
            losses=count["LOSS"],
            pushes=count["PUSH"],
            voids=count["VOID"],
            pending=count["PENDING"],
            hit_rate=count["WIN"] / decided if decided else None,
            staked=round(staked, 6),
            profit=round(sum(_profit(p.result, p.stake or 0.0, p.price) for p in picks if p.price is not None), 6),
        )
        written.append(
            _write(landing, f"v1/results/{day}.json", schemas.ResultsFile(game_date=day, summary=summary, picks=picks))
        )
    return _daily_result(written)


def last_graded_date(warehouse: Warehouse) -> "dt.date | None":
    import pandas as pd

    last = warehouse.query(f"SELECT max(game_date) AS last FROM {warehouse.relation(*tables.MARKET_PROP_ACCURACY)}")[
        "last"
    ].iloc[0]
    return None if last is None or pd.isna(last) else pd.Timestamp(last).date()


@asset(
    deps=["market_backtest_report"],
    description="v1/systems/performance.json: "
    "the points market's systems by edge bucket on the same graded rows, and per market every system against the "
    "de-vigged market, as of the latest graded date (a run over an older range does not replace "
    "it with an older report).",
    **DAILY,
)
def export_system_performance(
    context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore
) -> MaterializeResult:
    as_of = window_dates(context)[-1]
    latest = last_graded_date(warehouse)
    if latest is not None and latest > as_of:
        # The published file is the newest report; the website never goes back in time.
        return MaterializeResult(
            metadata={
                "published": False,
                "as_of": as_of.isoformat(),
                "reason": f"a later graded date ({latest}) exists: v1/systems/performance.json is left as is",
            }
        )
    report = json.loads(landing.get_bytes(report_key(as_of)))
    performance = schemas.PerformanceFile(
        **report["points_edge"], markets=report["entries"], published=report.get("published")
    )
    uri = _write(landing, "v1/systems/performance.json", performance)
    return MaterializeResult(
        metadata={
            "published": True,
            "as_of": as_of.isoformat(),
            "file": MetadataValue.url(uri),
            "systems": len(performance.systems),
        }
    )
