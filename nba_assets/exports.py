"""Exports: JSON files for the website in the object store under `v1/` (shapes in
`export_schemas.py`, validated before writing).

- `export_predictions`  v1/predictions/{date}.json  every prediction with a line, both systems
- `export_best_bets`    v1/best-bets/{date}.json    the day's best bets
- `export_results`      v1/results/{date}.json      the best bets graded, with a summary
- `export_system_performance`  v1/systems/performance.json  the latest backtest report

All are partitioned by game date (one partitions definition for the graph: a backfill is one run).
"""

import datetime as dt
import json
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from nba_assets import export_schemas as schemas
from nba_assets.asset_defaults import partitioned
from nba_assets.backtest import report_key
from nba_assets.window import window_dates
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
    return dict(player_lookup=row.player_lookup, player_name=_none(row.player_name),
                team=_none(row.team_abbr), opponent=_none(row.opponent_abbr), system_id=row.system_id)


def _daily_result(written: list[str]) -> MaterializeResult:
    return MaterializeResult(metadata={"files": len(written),
                                       "first_file": MetadataValue.url(written[0]) if written else "none"})


@asset(deps=["player_prop_predictions"], description="v1/predictions/{date}.json: every prediction "
       "with a line, for each system.", **DAILY)
def export_predictions(context: AssetExecutionContext, warehouse: Warehouse,
                       landing: ObjectStore) -> MaterializeResult:
    days = window_dates(context)
    rows = warehouse.query(
        f"SELECT * FROM {warehouse.relation('nba_predictions', 'player_prop_predictions')} "
        "WHERE game_date >= ? AND game_date <= ? AND line IS NOT NULL ORDER BY game_date, player_lookup, system_id",
        [days[0], days[-1]])
    by_date, written = _by_date(rows), []
    for day in days:
        items = [schemas.Prediction(**_pick_fields(r), predicted_points=_none(r.predicted_points),
                                    line=r.line, edge=_none(r.edge), recommendation=r.recommendation,
                                    confidence=_none(r.confidence))
                 for r in _rows_of(by_date, day)]
        written.append(_write(landing, f"v1/predictions/{day}.json",
                              schemas.PredictionsFile(game_date=day, predictions=items)))
    return _daily_result(written)


def _best_bet(r) -> dict:
    return dict(rank=int(r.rank), tier=r.tier, **_pick_fields(r), recommendation=r.recommendation,
                line=r.line, predicted_points=r.predicted_points, edge=r.edge, confidence=_none(r.confidence))


@asset(deps=["best_bets"], description="v1/best-bets/{date}.json: the day's best bets.", **DAILY)
def export_best_bets(context: AssetExecutionContext, warehouse: Warehouse,
                     landing: ObjectStore) -> MaterializeResult:
    days = window_dates(context)
    rows = warehouse.query(
        f"SELECT * FROM {warehouse.relation('nba_predictions', 'best_bets')} "
        "WHERE game_date >= ? AND game_date <= ? ORDER BY game_date, rank", [days[0], days[-1]])
    by_date = _by_date(rows)
    written = [
        _write(landing, f"v1/best-bets/{day}.json", schemas.BestBetsFile(
            game_date=day, picks=[schemas.BestBet(**_best_bet(r)) for r in _rows_of(by_date, day)]))
        for day in days
    ]
    return _daily_result(written)


@asset(deps=["best_bets", "prediction_accuracy"], description="v1/results/{date}.json: the best "
       "bets graded (WIN/LOSS/PUSH/VOID/PENDING) with the day's summary.", **DAILY)
def export_results(context: AssetExecutionContext, warehouse: Warehouse,
                   landing: ObjectStore) -> MaterializeResult:
    days = window_dates(context)
    rows = warehouse.query(
        f"""SELECT b.*, a.result, a.actual_points
        FROM {warehouse.relation('nba_predictions', 'best_bets')} b
        LEFT JOIN {warehouse.relation('nba_grading', 'prediction_accuracy')} a
          USING (game_date, player_lookup, system_id)
        WHERE b.game_date >= ? AND b.game_date <= ? ORDER BY b.game_date, b.rank""", [days[0], days[-1]])
    by_date, written = _by_date(rows), []
    for day in days:
        picks = [schemas.GradedPick(**_best_bet(r), result=r.result if isinstance(r.result, str) else "PENDING",
                                    actual_points=None if _none(r.actual_points) is None else int(r.actual_points))
                 for r in _rows_of(by_date, day)]
        count = {k: sum(p.result == k for p in picks) for k in ("WIN", "LOSS", "PUSH", "VOID", "PENDING")}
        decided = count["WIN"] + count["LOSS"]
        summary = schemas.ResultsSummary(picks=len(picks), wins=count["WIN"], losses=count["LOSS"],
                                         pushes=count["PUSH"], voids=count["VOID"], pending=count["PENDING"],
                                         hit_rate=count["WIN"] / decided if decided else None)
        written.append(_write(landing, f"v1/results/{day}.json",
                              schemas.ResultsFile(game_date=day, summary=summary, picks=picks)))
    return _daily_result(written)


def last_graded_date(warehouse: Warehouse) -> "dt.date | None":
    import pandas as pd

    last = warehouse.query(
        f"SELECT max(game_date) AS last FROM {warehouse.relation('nba_grading', 'prediction_accuracy')}"
    )["last"].iloc[0]
    return None if last is None or pd.isna(last) else pd.Timestamp(last).date()


@asset(deps=["backtest_report"], description="v1/systems/performance.json: each system's backtest on "
       "the same graded rows, as of the latest graded date (a run over an older range does not "
       "replace it with an older report).", **DAILY)
def export_system_performance(context: AssetExecutionContext, warehouse: Warehouse,
                              landing: ObjectStore) -> MaterializeResult:
    as_of = window_dates(context)[-1]
    latest = last_graded_date(warehouse)
    if latest is not None and latest > as_of:
        # The published file is the newest report; the website never goes back in time.
        return MaterializeResult(metadata={
            "published": False, "as_of": as_of.isoformat(),
            "reason": f"a later graded date ({latest}) exists: v1/systems/performance.json is left as is"})
    report = json.loads(landing.get_bytes(report_key(as_of)))
    uri = _write(landing, "v1/systems/performance.json", schemas.PerformanceFile(**report))
    return MaterializeResult(metadata={"published": True, "as_of": as_of.isoformat(),
                                       "file": MetadataValue.url(uri), "systems": len(report["systems"])})
