"""Backtest report as of a date: each system and the consensus line on the SAME rows of every graded
date up to that date.

Partitioned by game date like every asset (one partitions definition: a backfill of a range is one
run). Partition D is the walk-forward report as of D: graded dates <= D. A run over A..B computes it
once, as of B (the report of every earlier date of the range is the same computation on fewer
dates: a season's run would compute 538 reports and plots); the earlier dates' materializations say
which date they were computed as of. The report as of D is stored at `backtest/<D>.json`.

Same rows: player-dates where every system has a predicted value, the player played and there is a
real consensus line. On them: MAE of each system and of the line; per edge bucket (by |edge|, the
pick's side from the edge's sign) the bets, hit rate with a 95% Wilson interval, and ROI at the real
over/under prices of the consensus books (at -110 when a price is missing, counted and said so).
Plots (hit rate by edge bucket, calibration) are PNGs attached to the materialization and written
next to the exports (`v1/systems/plots/`).
"""

import base64
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from nba_assets.lib import figures, tables
from nba_assets.lib.asset_defaults import partitioned
from nba_assets.lib.plot_cache import cached_plots, digest_of, frame_bytes
from nba_assets.lib.probability import wilson
from nba_assets.lib.window import window_dates
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import datetime as dt

    import pandas as pd

BUCKETS = [(1.0, 2.0), (2.0, 3.0), (3.0, 5.0), (5.0, None)]
BREAK_EVEN = 0.524  # at -110 odds
# Where the object store keeps the plots' last renderings (nba_assets/lib/plot_cache.py).
PLOT_CACHE = "cache/plots"
DEFAULT_ODDS = -110.0


def graded_rows(warehouse: Warehouse, first: "dt.date | None" = None, last: "dt.date | None" = None) -> "pd.DataFrame":
    """Graded rows with a real line and a prediction, of the dates first..last (inclusive; either
    bound may be open)."""
    dates, params = "", []
    if first is not None:
        dates, params = " AND a.game_date >= ?", [first]
    if last is not None:
        dates, params = dates + " AND a.game_date <= ?", [*params, last]
    return warehouse.query(
        f"""
        SELECT a.game_date, a.player_lookup, a.system_id, a.predicted_points, a.line, a.edge,
               a.actual_points, c.over_odds, c.under_odds
        FROM {warehouse.relation(*tables.PREDICTION_ACCURACY)} a
        LEFT JOIN {warehouse.relation(*tables.PROP_LINES_CONSENSUS)} c
          USING (game_date, player_lookup)
        WHERE a.player_outcome = 'PLAYED' AND a.line IS NOT NULL AND a.predicted_points IS NOT NULL{dates}
        ORDER BY a.game_date, a.player_lookup, a.system_id  -- same order, same float sums (ROI, MAE)
        """,
        params,
    )


def same_rows(rows: "pd.DataFrame") -> "pd.DataFrame":
    """Only player-dates that every system predicted."""
    systems = rows["system_id"].nunique()
    counts = rows.groupby(["game_date", "player_lookup"])["system_id"].transform("nunique")
    return rows[counts == systems]


def profit(odds: float) -> float:
    """Profit of a winning 1-unit bet at American odds."""
    return odds / 100 if odds > 0 else 100 / -odds


def bucket_stats(rows: "pd.DataFrame") -> list[dict]:
    import numpy as np

    stats = []
    magnitude = rows["edge"].abs()
    for low, high in BUCKETS:
        bucket = rows[(magnitude >= low) & ((magnitude < high) if high else True)]
        over = bucket["edge"] > 0
        odds = np.where(over, bucket["over_odds"], bucket["under_odds"])
        defaulted = int(np.isnan(odds.astype(float)).sum())
        odds = np.where(np.isnan(odds.astype(float)), DEFAULT_ODDS, odds).astype(float)
        won = np.where(over, bucket["actual_points"] > bucket["line"], bucket["actual_points"] < bucket["line"])
        push = (bucket["actual_points"] == bucket["line"]).to_numpy()
        wins, pushes = int((won & ~push).sum()), int(push.sum())
        losses = len(bucket) - wins - pushes
        returns = np.where(push, 0.0, np.where(won, [profit(o) for o in odds] if len(odds) else [], -1.0))
        low_ci, high_ci = wilson(wins, wins + losses)
        stats.append(
            {
                "edge_min": low,
                "edge_max": high,
                "bets": int(len(bucket)),
                "wins": wins,
                "losses": int(losses),
                "pushes": pushes,
                "hit_rate": wins / (wins + losses) if wins + losses else None,
                "hit_rate_low": low_ci,
                "hit_rate_high": high_ci,
                "roi": float(returns.sum() / (wins + losses)) if wins + losses else None,
                "roi_at_default_odds": defaulted,
            }
        )
    return stats


def report(rows: "pd.DataFrame") -> dict:
    """The backtest numbers: per system on the same rows, and the line's MAE on them."""
    compared = same_rows(rows)
    systems = []
    for system_id, part in compared.groupby("system_id"):
        systems.append(
            {
                "system_id": system_id,
                "rows": int(len(part)),
                "mae": float((part["predicted_points"] - part["actual_points"]).abs().mean()),
                "line_mae": float((part["line"] - part["actual_points"]).abs().mean()),
                "buckets": bucket_stats(part),
            }
        )
    dates = compared["game_date"]
    return {
        "graded_dates": {
            "first": None if compared.empty else f"{dates.min():%Y-%m-%d}",
            "last": None if compared.empty else f"{dates.max():%Y-%m-%d}",
            "count": int(dates.nunique()),
        },
        "same_rows": int(compared.groupby(["game_date", "player_lookup"]).ngroups) if len(compared) else 0,
        "line": {"mae": float((compared["line"] - compared["actual_points"]).abs().mean()) if len(compared) else None},
        "systems": systems,
        "break_even_hit_rate": BREAK_EVEN,
    }


def at_least(system: dict, min_edge: float) -> dict:
    """Bets, wins, losses and hit rate of a system's picks with |edge| >= min_edge."""
    buckets = [b for b in system["buckets"] if b["edge_min"] >= min_edge]
    wins, losses = sum(b["wins"] for b in buckets), sum(b["losses"] for b in buckets)
    return {
        "bets": sum(b["bets"] for b in buckets),
        "wins": wins,
        "losses": losses,
        "hit_rate": wins / (wins + losses) if wins + losses else None,
    }


def systems_table(result: dict) -> str:
    """Plain-text summary: per system on the same rows, MAE vs the line, hit rate at edge >= 2 / 3."""
    lines = [
        f"{'system':<20}{'rows':>6}{'MAE':>8}{'line MAE':>10}{'bets>=2':>9}{'hit>=2':>8}{'bets>=3':>9}{'hit>=3':>8}"
    ]
    for system in result["systems"]:
        two, three = at_least(system, 2.0), at_least(system, 3.0)
        pct = lambda v: "" if v is None else f"{100 * v:.1f}%"  # noqa: E731
        lines.append(
            f"{system['system_id']:<20}{system['rows']:>6}{system['mae']:>8.3f}"
            f"{system['line_mae']:>10.3f}{two['bets']:>9}{pct(two['hit_rate']):>8}"
            f"{three['bets']:>9}{pct(three['hit_rate']):>8}"
        )
    return "\n".join(lines)


def plots(result: dict, rows: "pd.DataFrame") -> dict[str, bytes]:
    import numpy as np

    out = {}
    figure, axis = figures.new_figure(7, 4, dict(left=0.09, right=0.98, bottom=0.13, top=0.92))
    labels = [f"{b[0]:g}-{b[1]:g}" if b[1] else f"{b[0]:g}+" for b in BUCKETS]
    width = 0.8 / max(1, len(result["systems"]))
    for i, system in enumerate(result["systems"]):
        rates = [b["hit_rate"] if b["hit_rate"] is not None else np.nan for b in system["buckets"]]
        low = [r - b["hit_rate_low"] if b["hit_rate"] is not None else 0 for r, b in zip(rates, system["buckets"])]
        high = [b["hit_rate_high"] - r if b["hit_rate"] is not None else 0 for r, b in zip(rates, system["buckets"])]
        x = np.arange(len(labels)) + i * width
        axis.bar(x, rates, width, yerr=[low, high], capsize=3, label=system["system_id"])
    axis.axhline(BREAK_EVEN, color="black", linestyle="--", linewidth=1, label="break-even at -110")
    axis.set_xticks(np.arange(len(labels)) + width * (len(result["systems"]) - 1) / 2, labels)
    axis.set_xlabel("|edge| (points)")
    axis.set_ylabel("hit rate (95% interval)")
    axis.set_ylim(0.3, 0.8)
    axis.legend(fontsize=8)
    axis.set_title("Hit rate by edge bucket, same graded rows")
    out["hit_rate_by_edge.png"] = figures.png(figure, dpi=110)

    figure, axis = figures.new_figure(5, 5, dict(left=0.12, right=0.97, bottom=0.1, top=0.94))
    compared = same_rows(rows)
    for system_id, part in compared.groupby("system_id"):
        bins = np.clip((part["predicted_points"] // 5) * 5, 0, 40)
        means = part.groupby(bins).agg(predicted=("predicted_points", "mean"), actual=("actual_points", "mean"))
        axis.plot(means["predicted"], means["actual"], marker="o", label=system_id)
    axis.plot([0, 45], [0, 45], color="black", linestyle="--", linewidth=1, label="perfect")
    axis.set_xlabel("predicted points (bin mean)")
    axis.set_ylabel("actual points (bin mean)")
    axis.legend(fontsize=8)
    axis.set_title("Calibration")
    out["calibration.png"] = figures.png(figure, dpi=110)
    return out


def cached_backtest_plots(store: ObjectStore, result: dict, rows: "pd.DataFrame") -> dict[str, bytes]:
    """`plots`, rendered only when the plotted data changed (nba_assets/lib/plot_cache.py): the
    hit rates with their intervals per system and bucket, and the calibration's rows."""
    import json

    drawn = [
        (s["system_id"], [(b["hit_rate"], b["hit_rate_low"], b["hit_rate_high"]) for b in s["buckets"]])
        for s in result["systems"]
    ]
    compared = same_rows(rows)[["system_id", "predicted_points", "actual_points"]]
    digest = digest_of([json.dumps(drawn).encode(), frame_bytes(compared)], __file__, figures.__file__)
    return cached_plots(
        store, PLOT_CACHE, digest, lambda: plots(result, rows), ["hit_rate_by_edge.png", "calibration.png"]
    )


def markdown(result: dict) -> str:
    lines = [
        f"Same rows: {result['same_rows']} player-dates over {result['graded_dates']['count']} dates "
        f"({result['graded_dates']['first']}..{result['graded_dates']['last']}); "
        f"consensus line MAE {result['line']['mae']:.3f}."
        if result["same_rows"]
        else "No graded rows yet.",
        "",
    ]
    lines.append("| system | rows | MAE | line MAE | edge | bets | hit rate (95%) | ROI |")
    lines.append("|---|---:|---:|---:|---|---:|---|---:|")
    for system in result["systems"]:
        for b in system["buckets"]:
            label = f"{b['edge_min']:g}-{b['edge_max']:g}" if b["edge_max"] else f"{b['edge_min']:g}+"
            hit = (
                ""
                if b["hit_rate"] is None
                else f"{100 * b['hit_rate']:.1f}% ({100 * b['hit_rate_low']:.1f}-{100 * b['hit_rate_high']:.1f})"
            )
            roi = "" if b["roi"] is None else f"{100 * b['roi']:+.1f}%" + (" *" if b["roi_at_default_odds"] else "")
            lines.append(
                f"| {system['system_id']} | {system['rows']} | {system['mae']:.3f} | "
                f"{system['line_mae']:.3f} | {label} | {b['bets']} | {hit} | {roi} |"
            )
    lines.append("")
    lines.append("ROI at the consensus books' real prices; * = some bets priced at -110 (no price).")
    return "\n".join(lines)


def report_key(as_of: "dt.date") -> str:
    """The report as of a date in the object store (export_system_performance reads it)."""
    return f"backtest/{as_of.isoformat()}.json"


@asset(
    **partitioned("grading", {"python", "pandas"}),
    deps=["prediction_accuracy", "prop_lines_consensus"],
    description="Backtest as of the date: MAE of each system and of the line on the same rows of every "
    "graded date up to the date, hit rate with 95% intervals and ROI per edge bucket; PNG plots attached "
    "and written to v1/systems/plots/. A range's run computes the report as of its last date.",
)
def backtest_report(context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore) -> MaterializeResult:
    import json

    as_of = window_dates(context)[-1]
    rows = graded_rows(warehouse, last=as_of)
    result = report(rows)
    images = cached_backtest_plots(landing, result, rows) if result["same_rows"] else {}
    uris = {name: landing.put_bytes(f"v1/systems/plots/{name}", data) for name, data in images.items()}
    landing.put_bytes(report_key(as_of), json.dumps(result, indent=2).encode())
    embedded = "\n\n".join(
        f"![{name}](data:image/png;base64,{base64.b64encode(data).decode()})" for name, data in images.items()
    )
    metadata = {
        "report": MetadataValue.md(markdown(result)),
        "plots": MetadataValue.md(embedded or "no graded rows"),
        "same_rows": result["same_rows"],
        **{f"{s['system_id']}_mae": s["mae"] for s in result["systems"]},
        "line_mae": result["line"]["mae"],
        **{f"plot_{name}": MetadataValue.url(uri) for name, uri in uris.items()},
    }
    return MaterializeResult(metadata=as_of_metadata(context, as_of, metadata))


def as_of_metadata(context: AssetExecutionContext, as_of: "dt.date", metadata: dict) -> dict:
    """A range's report is computed once, as of its last date: that date's event carries it, the
    earlier dates' say which date it was computed as of (not 538 copies of the plots)."""
    keys = context.partition_keys
    if len(keys) == 1:
        return {"as_of": as_of.isoformat(), **metadata}
    for key in keys[:-1]:
        context.add_asset_metadata({"computed_as_of": as_of.isoformat()}, partition_key=key)
    context.add_asset_metadata({"as_of": as_of.isoformat(), **metadata}, partition_key=keys[-1])
    return {}
