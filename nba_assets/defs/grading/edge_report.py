"""The points market's backtest by edge bucket (performance.json `systems`, schema v1): each system
of the points market and the consensus line on the SAME graded rows up to a date.

Not an asset: the one backtest report (market_backtest.py) computes it from the same graded rows
(market_prop_accuracy, market 'points') and stores it with the market report. It keeps the figures
the retired points pipeline published (MAE against the line's MAE; per |edge| bucket the bets, hit
rate with a 95% Wilson interval, and ROI at the consensus books' real over/under prices, at -110
when a price is missing, counted and said so), now for the systems of the points market
(moving_average_v1, ml_market_v1). Its plots (hit rate by edge bucket, calibration) are PNGs of the
report's figures (backtest_plots.py), written next to the exports (`v1/systems/plots/`).
"""

from typing import TYPE_CHECKING

from nba_assets.lib import figures
from nba_assets.lib.plot_cache import cached_plots, digest_of, frame_bytes
from nba_assets.lib.probability import wilson
from resources.interfaces import ObjectStore

if TYPE_CHECKING:
    import pandas as pd

BUCKETS = [(1.0, 2.0), (2.0, 3.0), (3.0, 5.0), (5.0, None)]
BREAK_EVEN = 0.524  # at -110 odds
# Where the object store keeps the plots' last renderings (nba_assets/lib/plot_cache.py).
PLOT_CACHE = "cache/plots"
DEFAULT_ODDS = -110.0


def points_rows(graded: "pd.DataFrame") -> "pd.DataFrame":
    """The points market's graded rows with a prediction (system_health.graded_market_rows: played,
    with a line), in the columns of this report: predicted and actual points, edge = prediction -
    line (rounded as the predictions' own edge)."""
    rows = graded[(graded["market"] == "points") & graded["predicted_value"].notna()]
    rows = rows.sort_values(["game_date", "player_lookup", "system_id"])  # same order, same float sums
    return rows.assign(
        predicted_points=rows["predicted_value"].astype(float),
        actual_points=rows["actual_value"].astype(float),
        edge=(rows["predicted_value"].astype(float) - rows["line"].astype(float)).round(2),
    )[
        [
            "game_date",
            "player_lookup",
            "system_id",
            "predicted_points",
            "line",
            "edge",
            "actual_points",
            "over_odds",
            "under_odds",
        ]
    ]


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
