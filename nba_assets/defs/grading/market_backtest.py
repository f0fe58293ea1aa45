"""Backtest of every system against the market, per market, over all graded dates.

Rows: graded market predictions of players who played, with a line. Per market, systems are
compared on the SAME rows (player-dates every system of the market predicted with probabilities);
on them, for each system and for the market itself:
- probabilities, scored on P(over | not a push) against the outcome (pushes left out, as the books
  refund them): Brier score and log loss of the system and of the market's de-vigged P(over),
  Brier skill = 1 - Brier(system) / Brier(market) with a 95% bootstrap interval clustered by date,
  calibration slope and intercept (logistic regression of the outcome on logit(p); 1 and 0 are
  calibrated); the reliability diagram per market is drawn by backtest_plots.py (not in the daily run);
- the mean: MAE of the system's mean and of the line on the same rows;
- picks (sides with EV > 0 at the consensus price): bets, hit rate and ROI at the real prices per
  EV bucket and overall, with 95% intervals by the same clustered bootstrap.
- against the outcome alone (`outcome_*`): Brier, log loss, the observed over (Yes) rate and the
  mean predicted P(over | no push) on every row the system priced, with or without a market price:
  the archive has no Yes/No prices for double/triple-double (docs/markets.md), so for them this is
  the whole score (and their reliability diagram is drawn from these rows).
Yes/no markets have no MAE (their mean is P(yes), their line 0.5).
Each market's numbers are given over all dates and per season when there are several (the 2024-25
threes lines are the only full-season sample: they are reported on their own).
"""

import datetime as dt
import math
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from nba_assets.defs.grading import edge_report, published_record
from nba_assets.defs.predictions import system_health as health
from nba_assets.lib import probability as prob
from nba_assets.lib.asset_defaults import partitioned
from nba_assets.lib.markets import MARKET_KEYS, YES_NO_KEYS
from nba_assets.lib.plot_cache import cached_json, digest_of, frame_bytes
from nba_assets.lib.window import window_dates
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

EV_BUCKETS = [(0.0, 0.05), (0.05, 0.10), (0.10, 0.20), (0.20, None)]


def report_key(as_of: "dt.date") -> str:
    """The market report as of a date in the object store (export_system_performance reads it)."""
    return f"backtest/markets/{as_of.isoformat()}.json"


# Where the object store keeps the last report computed, with its inputs' digest (lib/plot_cache.py).
REPORT_CACHE = "cache/reports/market_backtest.json"
# Where the report's figures are (nba_assets/defs/grading/backtest_plots.py): not in the daily run.
FIGURES_NOTE = (
    "Reliability per market, hit rate by |edge| and calibration (PNG): the `market_backtest_plots` "
    "asset, drawn on request (`make run`, `make replay REPLAY_ARGS=--figures`, the `report_figures` "
    "job or Materialize in the UI), not in the daily run."
)
# NBA seasons start in October: a date before July belongs to the season that started the year before.
SEASON_START_MONTH = 7


def season_of(dates: "pd.Series") -> "pd.Series":
    year = dates.dt.year - (dates.dt.month < SEASON_START_MONTH)
    return year.astype(str) + "-" + ((year + 1) % 100).astype(str).str.zfill(2)


def same_rows(rows: "pd.DataFrame") -> "pd.DataFrame":
    """Rows of player-dates every system of the market predicted with probabilities."""
    rows = rows[rows["p_over"].notna()]
    systems = rows.groupby("market")["system_id"].transform("nunique")
    present = rows.groupby(["market", "game_date", "player_lookup"])["system_id"].transform("nunique")
    return rows[present == systems]


def _interval(frame, columns, statistic):
    low, high = prob.clustered_bootstrap(frame, "game_date", columns, statistic)
    return [low, high]


def _array_interval(dates, values: dict, statistic):
    low, high = prob.clustered_bootstrap_arrays(dates, values, statistic)
    return [low, high]


def pick_arrays(picks: "pd.DataFrame") -> dict:
    """A system's picks as arrays (date, result, decimal price, EV): the EV buckets select from
    them without pandas."""
    return {
        "game_date": picks["game_date"].to_numpy(),
        "result": picks["result"].to_numpy(dtype=object),
        "decimal": prob.american_to_decimal(picks["price"]),
        "ev": picks["ev"].to_numpy(dtype=float),
    }


def pick_stats(picks: dict, selected: "np.ndarray | None" = None) -> dict:
    """Bets, wins, losses, pushes, hit rate and ROI at the real prices, with date-clustered 95%
    intervals, of the `selected` picks (a mask over `pick_arrays`; all by default). Pushes return
    the stake: they count as bets, not in the hit rate."""
    import numpy as np

    if selected is None:
        selected = np.ones(len(picks["result"]), dtype=bool)
    result = picks["result"][selected]
    decided = (result == "WIN") | (result == "LOSS")
    pushes = int((result == "PUSH").sum())
    win = (result[decided] == "WIN").astype(float)
    profit = np.where(win == 1, picks["decimal"][selected][decided] - 1, -1.0)
    dates = picks["game_date"][selected][decided]
    ones = np.ones(len(win))
    wins, n_decided = int(win.sum()), len(win)
    return {
        "bets": int(len(result)),
        "wins": wins,
        "losses": n_decided - wins,
        "pushes": pushes,
        "hit_rate": wins / n_decided if n_decided else None,
        "hit_rate_interval": _array_interval(dates, {"win": win, "decided": ones}, lambda s: s["win"] / s["decided"]),
        "roi": float(profit.sum() / (n_decided + pushes)) if n_decided + pushes else None,
        "roi_interval": _array_interval(
            dates, {"profit": profit, "decided": ones}, lambda s: s["profit"] / s["decided"]
        ),
    }


def system_scores(rows: "pd.DataFrame") -> dict:
    """One system's scores on its rows of one market (already the same rows as the others)."""
    scores = health.scored(rows)
    went_over = scores["went_over"].to_numpy()
    p_system, p_market = scores["p_system"].to_numpy(float), scores["market_p_over"].to_numpy(float)
    slope, intercept = prob.calibration(p_system, went_over) if len(scores) else (math.nan, math.nan)
    market_slope, market_intercept = prob.calibration(p_market, went_over) if len(scores) else (math.nan, math.nan)
    with_mean = rows[rows["predicted_value"].notna() & ~rows["market"].isin(YES_NO_KEYS)]
    picks = pick_arrays(rows[rows["recommendation"].isin(["OVER", "UNDER"]) & rows["price"].notna()])
    buckets = []
    for low, high in EV_BUCKETS:
        in_bucket = (picks["ev"] > low) & ((picks["ev"] <= high) if high else True)
        buckets.append({"ev_min": low, "ev_max": high, **pick_stats(picks, in_bucket)})
    n = len(scores)
    return {
        "scored_rows": n,
        "dates": int(scores["game_date"].nunique()),
        "brier": prob.brier(p_system, went_over) if n else None,
        "log_loss": prob.log_loss(p_system, went_over) if n else None,
        "market_brier": prob.brier(p_market, went_over) if n else None,
        "market_log_loss": prob.log_loss(p_market, went_over) if n else None,
        "brier_skill": prob.brier_skill(p_system, p_market, went_over) if n else None,
        "brier_skill_interval": _interval(
            scores, ["se_system", "se_market"], lambda s: 1 - s["se_system"] / s["se_market"]
        ),
        "calibration_slope": _finite(slope),
        "calibration_intercept": _finite(intercept),
        "market_calibration_slope": _finite(market_slope),
        "market_calibration_intercept": _finite(market_intercept),
        "mae": float((with_mean["predicted_value"] - with_mean["actual_value"]).abs().mean())
        if len(with_mean)
        else None,
        "line_mae": float((with_mean["line"] - with_mean["actual_value"]).abs().mean()) if len(with_mean) else None,
        "picks": pick_stats(picks),
        "ev_buckets": buckets,
        **outcome_scores(rows),
    }


def outcome_rows(rows: "pd.DataFrame") -> "pd.DataFrame":
    """Rows a system priced whose outcome fell on a side (pushes left out), with or without a market
    price: P(over | no push) `p_system` and `went_over`."""
    rows = rows[rows["p_over"].notna() & rows["line_outcome"].isin(["OVER", "UNDER"])]
    return rows.assign(
        p_system=prob.conditional_over(rows["p_over"], rows["p_under"]),
        went_over=(rows["line_outcome"] == "OVER").to_numpy(float),
    )


def outcome_scores(rows: "pd.DataFrame") -> dict:
    """The system against the outcome alone (module docstring)."""
    scored = outcome_rows(rows)
    p, went_over = scored["p_system"].to_numpy(float), scored["went_over"].to_numpy()
    n = len(scored)
    return {
        "outcome_rows": n,
        "outcome_brier": prob.brier(p, went_over) if n else None,
        "outcome_log_loss": prob.log_loss(p, went_over) if n else None,
        "outcome_rate": float(went_over.mean()) if n else None,
        "outcome_mean_p": float(p.mean()) if n else None,
    }


def _finite(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


def report(rows: "pd.DataFrame") -> dict:
    """Per market, system and segment (all dates; each season when there are several)."""
    import pandas as pd

    rows = same_rows(rows)
    game_date = pd.to_datetime(rows["game_date"])  # once: to_datetime costs per call, even on dates
    rows = rows.assign(game_date=game_date, season=season_of(game_date))
    entries = []
    for (market, system_id), part in rows.groupby(["market", "system_id"], sort=False):
        seasons = sorted(part["season"].unique())
        segments = [("all", part)] + ([(s, part[part["season"] == s]) for s in seasons] if len(seasons) > 1 else [])
        for segment, segment_rows in segments:
            dates = segment_rows["game_date"]
            entries.append(
                {
                    "market": market,
                    "system_id": system_id,
                    "segment": segment,
                    "first_date": f"{dates.min():%Y-%m-%d}",
                    "last_date": f"{dates.max():%Y-%m-%d}",
                    **system_scores(segment_rows),
                }
            )
    order = {m: i for i, m in enumerate(MARKET_KEYS)}
    entries.sort(key=lambda e: (order.get(e["market"], 99), e["system_id"], e["segment"] != "all", e["segment"]))
    return {"break_even_at_minus_110": round(110 / 210, 4), "entries": entries}


def _pct(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _range(interval, scale: float = 100.0, fmt: str = "{:.1f}") -> str:
    if not interval or interval[0] is None:
        return ""
    return f" ({fmt.format(scale * interval[0])} to {fmt.format(scale * interval[1])})"


def table(result: dict) -> str:
    """Plain text: per market, system and segment, the scores against the market."""
    header = (
        f"{'market':<14}{'system':<19}{'segment':<9}{'n':>7}{'Brier':>8}{'mkt':>8}{'skill (95%)':>26}"
        f"{'slope':>7}{'mkt sl':>7}{'MAE':>7}{'lineMAE':>8}{'bets':>7}{'hit (95%)':>22}{'ROI (95%)':>24}"
    )
    lines = [header]
    for e in result["entries"]:
        picks = e["picks"]
        if not e["scored_rows"]:  # no market price (the archive's yes/no markets): outcome_table
            lines.append(f"{e['market']:<14}{e['system_id']:<19}{e['segment']:<9}{0:>7}  no market price")
            continue
        skill = (
            ""
            if e["brier_skill"] is None
            else f"{e['brier_skill']:+.3f}" + _range(e["brier_skill_interval"], 1, "{:+.3f}")
        )
        roi = (
            "" if picks["roi"] is None else f"{100 * picks['roi']:+.1f}%" + _range(picks["roi_interval"], fmt="{:+.1f}")
        )
        lines.append(
            f"{e['market']:<14}{e['system_id']:<19}{e['segment']:<9}{e['scored_rows']:>7}"
            f"{(e['brier'] or 0):>8.4f}{(e['market_brier'] or 0):>8.4f}{skill:>26}"
            f"{(e['calibration_slope'] or 0):>7.2f}{(e['market_calibration_slope'] or 0):>7.2f}"
            f"{(e['mae'] or 0):>7.2f}{(e['line_mae'] or 0):>8.2f}"
            f"{picks['bets']:>7}{_pct(picks['hit_rate']) + _range(picks['hit_rate_interval']):>22}"
            f"{roi:>24}"
        )
    return "\n".join(lines)


def outcome_table(result: dict) -> str:
    """Plain text: per market, system and segment, the scores against the outcome alone (every row
    priced, with or without a market price)."""
    header = f"{'market':<14}{'system':<19}{'segment':<9}{'rows':>7}{'Brier':>8}{'log loss':>9}{'rate':>8}{'mean P':>8}"
    lines = [header]
    for e in result["entries"]:
        if not e.get("outcome_rows"):
            continue
        lines.append(
            f"{e['market']:<14}{e['system_id']:<19}{e['segment']:<9}{e['outcome_rows']:>7}"
            f"{e['outcome_brier']:>8.4f}{e['outcome_log_loss']:>9.4f}{_pct(e['outcome_rate']):>8}"
            f"{_pct(e['outcome_mean_p']):>8}"
        )
    return "\n".join(lines)


def markdown(result: dict) -> str:
    lines = [
        "| market | system | segment | n | Brier | market Brier | log loss | market log loss | skill (95%) "
        "| calibration slope | MAE | line MAE | bets EV>0 | hit rate (95%) | ROI (95%) |",
        "|---|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|",
    ]
    for e in result["entries"]:
        p = e["picks"]
        skill = (
            ""
            if e["brier_skill"] is None
            else f"{e['brier_skill']:+.3f}" + _range(e["brier_skill_interval"], 1, "{:+.3f}")
        )
        roi = "" if p["roi"] is None else f"{100 * p['roi']:+.1f}%" + _range(p["roi_interval"], fmt="{:+.1f}")
        num = lambda v, f="{:.4f}": "" if v is None else f.format(v)  # noqa: E731
        lines.append(
            f"| {e['market']} | {e['system_id']} | {e['segment']} | {e['scored_rows']} | {num(e['brier'])} "
            f"| {num(e['market_brier'])} | {num(e['log_loss'])} | {num(e['market_log_loss'])} | {skill} "
            f"| {num(e['calibration_slope'], '{:.2f}')} | {num(e['mae'], '{:.2f}')} | {num(e['line_mae'], '{:.2f}')} "
            f"| {p['bets']} | {_pct(p['hit_rate'])}{_range(p['hit_rate_interval'])} | {roi} |"
        )
    lines += [
        "",
        "Skill > 0: better than the de-vigged market's P(over) on the same rows. ROI at the consensus "
        "books' real prices; intervals: 95%, bootstrap clustered by date.",
    ]
    unpriced = [e for e in result["entries"] if e.get("outcome_rows") and not e["scored_rows"]]
    if unpriced:
        lines += [
            "",
            "Without a market price (no de-vigged probability to compare with), against the outcome alone:",
            "",
            "| market | system | segment | rows | Brier | log loss | observed rate | mean P |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        lines += [
            f"| {e['market']} | {e['system_id']} | {e['segment']} | {e['outcome_rows']} | {e['outcome_brier']:.4f} "
            f"| {e['outcome_log_loss']:.4f} | {_pct(e['outcome_rate'])} | {_pct(e['outcome_mean_p'])} |"
            for e in unpriced
        ]
    return "\n".join(lines)


def rows_digest(rows: "pd.DataFrame") -> bytes:
    """What the report and its figures are computed from: the graded rows, this code and the
    libraries that compute them (scores, fits, bootstraps: numpy and pandas)."""
    from importlib.metadata import version

    from nba_assets.lib import markets

    libraries = " ".join(version(name) for name in ("numpy", "pandas"))
    return digest_of(
        [frame_bytes(rows), libraries.encode()],
        __file__,
        prob.__file__,
        health.__file__,
        markets.__file__,
    )


def graded_rows_as_of(warehouse: Warehouse, as_of: "dt.date") -> "pd.DataFrame":
    """The graded market rows (system_health.graded_market_rows) of the dates up to `as_of`: what
    the report and its figures are computed from."""
    import numpy as np

    rows = health.graded_market_rows(warehouse)
    return rows[rows["game_date"] <= np.datetime64(as_of, "ns")]


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


@asset(
    **partitioned("grading", {"python", "pandas"}),
    deps=["market_prop_accuracy", "best_bets"],
    description="The backtest as of the date, every system against the market, per market, over the "
    "graded dates up to the date: "
    "Brier and log loss of the system and of the de-vigged market, skill with a date-clustered 95% "
    "interval, calibration slope/intercept, MAE vs line MAE, hit rate and "
    "ROI at real prices by EV bucket; per season when there are several (2024-25 threes on its own); "
    "for the points market also MAE and hit rate/ROI by |edge| bucket (performance.json `systems`). "
    "A range's run computes the report as of its last date. Its figures (reliability per market, "
    "hit rate by edge, calibration) are the market_backtest_plots asset, drawn on request.",
)
def market_backtest_report(
    context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore
) -> MaterializeResult:
    import json

    as_of = window_dates(context)[-1]
    rows = graded_rows_as_of(warehouse, as_of)
    # Computed only when the graded rows changed (a re-run of a date reuses it).
    result = cached_json(landing, REPORT_CACHE, rows_digest(rows), lambda: report(rows))
    # Issue 22: every pick ever published, graded, and what following the platform won or lost.
    published = published_record.report(
        published_record.published_picks(warehouse, as_of), lambda picks: pick_stats(pick_arrays(picks))
    )
    result = {**result, "published": published}
    # The points market by |edge| bucket, on the same graded rows (edge_report.py).
    edges = edge_report.report(edge_report.points_rows(rows))
    landing.put_bytes(report_key(as_of), json.dumps({**result, "points_edge": edges}, indent=1).encode())
    overall = [e for e in result["entries"] if e["segment"] == "all"]
    return MaterializeResult(
        metadata=as_of_metadata(
            context,
            as_of,
            {
                "report": MetadataValue.md(markdown(result) if result["entries"] else "no graded rows"),
                "points_by_edge": MetadataValue.md(edge_report.markdown(edges)),
                **{f"{s['system_id']}_points_mae": s["mae"] for s in edges["systems"]},
                "points_line_mae": edges["line"]["mae"],
                "figures": FIGURES_NOTE,
                "published_record": MetadataValue.md(published_record.markdown(published)),
                "published_picks": published["overall"]["bets"],
                **{f"{e['system_id']}_{e['market']}_brier_skill": e["brier_skill"] for e in overall},
            },
        )
    )
