"""The published record: every best bet the platform ever published (system, market, date, book,
price, stake, result), graded at the line and side it was taken at, with the running hit rate and
ROI and their date-clustered 95% intervals: what a user following the platform won or lost.

A pick's result follows dbt's `pick_result` (macros/grading.sql) on the pick's own line and side
(the best-price rule may take a better line than the consensus one market_prop_accuracy grades):
VOID when the player did not play, PENDING before his box score, PUSH on the line, else WIN/LOSS.
"""

import datetime as dt
from typing import TYPE_CHECKING

from nba_assets.lib import probability as prob
from nba_assets.lib import tables
from nba_assets.lib.markets import MARKET_KEYS

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from resources.interfaces import Warehouse


def pick_results(recommendation, line, actual, player_outcome) -> "np.ndarray":
    """WIN / LOSS / PUSH / VOID / PENDING of picks at their own line and side."""
    import numpy as np

    recommendation, outcome = np.asarray(recommendation, dtype=object), np.asarray(player_outcome, dtype=object)
    line, actual = np.asarray(line, dtype=float), np.asarray(actual, dtype=float)
    over = recommendation == "OVER"
    with np.errstate(invalid="ignore"):
        won = np.where(over, actual > line, actual < line)
    graded = np.where(actual == line, "PUSH", np.where(won, "WIN", "LOSS"))
    return np.where(
        np.isin(outcome, ["DNP", "NOT_LISTED"]), "VOID", np.where(outcome == "PLAYED", graded, "PENDING")
    ).astype(object)


def published_picks(warehouse: "Warehouse", last: dt.date | None = None) -> "pd.DataFrame":
    """Every published pick up to `last` (all when None) with its result and profit at its stake."""
    import pandas as pd

    if not warehouse.table_exists(*tables.BEST_BETS):
        return with_results(pd.DataFrame(columns=PICK_COLUMNS))

    until, params = ("WHERE b.game_date <= ?", [last]) if last is not None else ("", [])
    frame = warehouse.query(
        f"""SELECT b.game_date, b.system_id, b.market, b.player_lookup, b.player_name, b.recommendation,
               b.line, b.book, b.price, b.stake, b.ev, b.consensus_line, b.consensus_price, b.consensus_ev,
               a.actual_value, a.player_outcome
        FROM {warehouse.relation(*tables.BEST_BETS)} b
        LEFT JOIN {warehouse.relation(*tables.MARKET_PROP_ACCURACY)} a
          USING (game_date, player_lookup, system_id, market)
        {until}
        ORDER BY b.game_date, b.rank""",
        params,
    )
    frame["game_date"] = pd.to_datetime(frame["game_date"]).dt.as_unit("ns")
    return with_results(frame)


PICK_COLUMNS = [
    "game_date", "system_id", "market", "player_lookup", "player_name", "recommendation", "line", "book",
    "price", "stake", "ev", "consensus_line", "consensus_price", "consensus_ev", "actual_value", "player_outcome",
]  # fmt: skip


def with_results(picks: "pd.DataFrame") -> "pd.DataFrame":
    """Result and profit (at the stake) of each pick at its book's line and price, and beside it
    the same side at the consensus line and average price (`consensus_result`, `consensus_unit`:
    profit per unit), the price the platform quoted before issue 22."""
    import numpy as np

    result = pick_results(picks["recommendation"], picks["line"], picks["actual_value"], picks["player_outcome"])
    decimal = prob.american_to_decimal(picks["price"])
    stake = picks["stake"].fillna(0.0).to_numpy(float)
    profit = np.select([result == "WIN", result == "LOSS"], [stake * (decimal - 1), -stake], 0.0)
    consensus = pick_results(
        picks["recommendation"], picks["consensus_line"], picks["actual_value"], picks["player_outcome"]
    )
    unit = np.select(
        [consensus == "WIN", consensus == "LOSS"], [prob.american_to_decimal(picks["consensus_price"]) - 1, -1.0], 0.0
    )
    return picks.assign(
        result=result, profit=np.round(profit, 6), consensus_result=consensus, consensus_unit=np.round(unit, 6)
    )


def summary(picks: "pd.DataFrame", pick_stats) -> dict:
    """Picks, wins, losses, pushes, voids, pending, hit rate and ROI per unit with date-clustered
    95% intervals (`pick_stats`: the market report's, market_backtest.pick_stats of a frame),
    staked and profit at the published stakes."""
    stats = pick_stats(picks)
    settled = picks["result"].isin(["WIN", "LOSS", "PUSH"])
    staked = float(picks.loc[settled, "stake"].sum())
    return {
        **stats,
        "voids": int((picks["result"] == "VOID").sum()),
        "pending": int((picks["result"] == "PENDING").sum()),
        "staked": round(staked, 6),
        "profit": round(float(picks["profit"].sum()), 6),
        "return_on_stakes": round(float(picks["profit"].sum()) / staked, 6) if staked else None,
        "roi_at_consensus": _consensus_roi(picks),
    }


def _consensus_roi(picks: "pd.DataFrame") -> float | None:
    """ROI per unit of the same sides at the consensus line and average price (no book's)."""
    settled = picks["consensus_result"].isin(["WIN", "LOSS", "PUSH"]) & picks["consensus_price"].notna()
    return round(float(picks.loc[settled, "consensus_unit"].sum()) / int(settled.sum()), 6) if settled.any() else None


def report(picks: "pd.DataFrame", pick_stats) -> dict:
    """The record overall and per market and system, the running record by date, every pick
    (`pick_stats`: as `summary`'s)."""
    import numpy as np

    order = {m: i for i, m in enumerate(MARKET_KEYS)}
    groups = sorted(picks.groupby(["market", "system_id"]), key=lambda g: (order.get(g[0][0], 99), g[0][1]))
    running = []
    if len(picks):
        daily = (
            picks.assign(
                decided=picks["result"].isin(["WIN", "LOSS"]),
                win=picks["result"] == "WIN",
                unit=np.select(
                    [picks["result"] == "WIN", picks["result"] == "LOSS"],
                    [prob.american_to_decimal(picks["price"]) - 1, -1.0],
                    0.0,
                ),
                settled=picks["result"].isin(["WIN", "LOSS", "PUSH"]),
            )
            .groupby("game_date")[["decided", "win", "unit", "settled", "profit"]]
            .sum()
            .cumsum()
        )
        for day, r in daily.iterrows():
            running.append(
                {
                    "game_date": f"{day:%Y-%m-%d}",
                    "picks_settled": int(r["settled"]),
                    "hit_rate": round(r["win"] / r["decided"], 4) if r["decided"] else None,
                    "roi": round(r["unit"] / r["settled"], 4) if r["settled"] else None,
                    "profit": round(float(r["profit"]), 6),
                }
            )
    return {
        "overall": summary(picks, pick_stats),
        "by_market": [{"market": m, "system_id": s, **summary(part, pick_stats)} for (m, s), part in groups],
        "running": running,
        "picks": [
            {
                "game_date": f"{r.game_date:%Y-%m-%d}",
                "system_id": r.system_id,
                "market": r.market,
                "player_lookup": r.player_lookup,
                "recommendation": r.recommendation,
                "line": float(r.line),
                "book": r.book if isinstance(r.book, str) else None,
                "price": float(r.price),
                "consensus_line": None if r.consensus_line != r.consensus_line else float(r.consensus_line),
                "consensus_price": None if r.consensus_price != r.consensus_price else float(r.consensus_price),
                "stake": float(r.stake),
                "result": r.result,
                "profit": float(r.profit),
            }
            for r in picks.itertuples()
        ],
    }


def _pct(value) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def _interval(values) -> str:
    low, high = values
    return "" if low is None else f"{100 * low:.1f} to {100 * high:.1f}"


def markdown(record: dict) -> str:
    """The record per market and system, for the report's metadata and the replay's summary."""
    lines = [
        "| market | system | picks | W-L-P | hit rate (95%) | ROI per unit (95%) | ROI at consensus | staked | profit |",
        "|---|---|---:|---|---|---|---:|---:|---:|",
    ]
    for e in [*record["by_market"], {"market": "all", "system_id": "", **record["overall"]}]:
        lines.append(
            f"| {e['market']} | {e['system_id']} | {e['bets']} | {e['wins']}-{e['losses']}-{e['pushes']} | "
            f"{_pct(e['hit_rate'])} ({_interval(e['hit_rate_interval'])}) | {_pct(e['roi'])} "
            f"({_interval(e['roi_interval'])}) | {_pct(e['roi_at_consensus'])} | {e['staked']:.4f} | "
            f"{e['profit']:+.4f} |"
        )
    return "\n".join(lines)
