"""System health: each system's record per market over a rolling window, and the gate that keeps
the picks of a system whose record does not earn it out of the best bets.

The record of (system, market) as of a date: its graded rows of the last WINDOW_DATES game dates
BEFORE that date (never the date itself):
- scored rows (played, a line, the system's and the market's probabilities, no push): Brier score
  of the system's P(over | not a push) and of the de-vigged market's, skill = 1 - ratio;
- picks (its OVER/UNDER sides with EV > 0, decided WIN/LOSS): hit rate with a 95% Wilson
  interval, the break-even hit rate of the prices it took (mean implied probability), ROI.

Status, in order:
- `insufficient`: fewer than MIN_ROWS scored rows or MIN_ROWS decided picks. Not published: an
  unproven record does not earn a pick.
- `below_break_even`: hit rate below the break-even of its prices. Not published (issue 13: the
  replaced system's best bets kept publishing a losing system).
- `degrading`: hit rate at or above break-even but Brier skill below 0 (the market's de-vigged
  probabilities are better): the health check WARNs and the picks are held back too. Stricter than
  "below break-even" alone, deliberately: a hit rate a point above break-even over 21 dates is
  well inside its noise, and a system whose probabilities lose to the market's has not earned it.
- `healthy`: hit rate at or above break-even and Brier skill >= 0: published.
"""

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from nba_assets.lib import probability as prob
from nba_assets.lib import tables

if TYPE_CHECKING:
    import pandas as pd

    from resources.interfaces import Warehouse

WINDOW_DATES = 21
MIN_ROWS = 150
PUBLISHED = {"healthy"}


def graded_market_rows(
    warehouse: "Warehouse", first: dt.date | None = None, last: dt.date | None = None
) -> "pd.DataFrame":
    """Graded market rows of played games with a line (all dates, or first..last inclusive), in
    key order: sums over them are then the same on every warehouse, to the last bit."""
    dates, params = "", []
    if first is not None and last is not None:
        dates, params = " AND game_date >= ? AND game_date <= ?", [first, last]
    frame = warehouse.query(
        f"""
        SELECT game_date, player_lookup, system_id, market, predicted_value, line, over_odds,
               under_odds, p_over, p_under, p_push, market_p_over, recommendation, price, ev, stake,
               actual_value, line_outcome, result
        FROM {warehouse.relation(*tables.MARKET_PROP_ACCURACY)}
        WHERE player_outcome = 'PLAYED' AND line IS NOT NULL{dates}
        ORDER BY system_id, market, game_date, player_lookup
        """,
        params,
    )
    import pandas as pd

    return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.as_unit("ns"))


def scored(rows: "pd.DataFrame") -> "pd.DataFrame":
    """Rows the probabilities are scored on, with the system's and the market's P(over | no push),
    the outcome, and the squared errors (summable, for the clustered bootstrap)."""
    rows = rows[rows["p_over"].notna() & rows["market_p_over"].notna() & rows["line_outcome"].isin(["OVER", "UNDER"])]
    p_system = prob.conditional_over(rows["p_over"], rows["p_under"])
    went_over = (rows["line_outcome"] == "OVER").to_numpy(float)
    p_market = rows["market_p_over"].to_numpy(float)
    return rows.assign(
        p_system=p_system,
        went_over=went_over,
        se_system=(np.clip(p_system, prob.PROBABILITY_FLOOR, 1 - prob.PROBABILITY_FLOOR) - went_over) ** 2,
        se_market=(np.clip(p_market, prob.PROBABILITY_FLOOR, 1 - prob.PROBABILITY_FLOOR) - went_over) ** 2,
    )


def decided_picks(rows: "pd.DataFrame") -> "pd.DataFrame":
    """The system's picks that won or lost, with the profit of one unit at the price taken."""
    picks = rows[rows["result"].isin(["WIN", "LOSS"]) & rows["price"].notna()]
    win = (picks["result"] == "WIN").to_numpy(float)
    decimal = prob.american_to_decimal(picks["price"])
    return picks.assign(win=win, decided=1.0, profit=np.where(win == 1, decimal - 1, -1.0), implied=1.0 / decimal)


SUMS = ["scored_rows", "se_system", "se_market", "picks", "wins", "profit", "implied"]


def daily_sums(rows: "pd.DataFrame") -> "pd.DataFrame":
    """Per system, market and date: the summable parts of a record (a window's record is the sum
    of its dates', so a season of rolling windows is a difference of cumulative sums)."""
    import pandas as pd

    keys = ["system_id", "market", "game_date"]
    scores = scored(rows).assign(scored_rows=1.0).groupby(keys)[["scored_rows", "se_system", "se_market"]].sum()
    picks = (
        decided_picks(rows)
        .rename(columns={"decided": "picks", "win": "wins"})
        .groupby(keys)[["picks", "wins", "profit", "implied"]]
        .sum()
    )
    sums = pd.concat([scores, picks], axis=1).fillna(0.0)
    return sums.reindex(columns=SUMS, fill_value=0.0).reset_index()


def record_from_sums(totals, dates: int) -> dict:
    """The record from summed parts (a mapping of SUMS)."""
    n, bets = int(totals["scored_rows"]), int(totals["picks"])
    wins = int(round(totals["wins"]))
    brier = totals["se_system"] / n if n else None
    market_brier = totals["se_market"] / n if n else None
    low, high = prob.wilson(wins, bets)
    rounded = lambda value: None if value is None else round(float(value), 6)  # noqa: E731
    return {
        "dates": dates,
        "scored_rows": n,
        "brier": rounded(brier),
        "market_brier": rounded(market_brier),
        "brier_skill": rounded(1 - brier / market_brier) if n and market_brier else None,
        "picks": bets,
        "hit_rate": rounded(wins / bets) if bets else None,
        "hit_rate_low": rounded(low),
        "hit_rate_high": rounded(high),
        "break_even": rounded(totals["implied"] / bets) if bets else None,
        "roi": rounded(totals["profit"] / bets) if bets else None,
    }


def record(rows: "pd.DataFrame") -> dict:
    """The record of one system and market on `rows` (already limited to the window)."""
    sums = daily_sums(rows)
    return record_from_sums(sums[SUMS].sum(), int(rows["game_date"].nunique()))


def status(rec: dict) -> tuple[str, str]:
    """(status, reason) of a record."""
    if rec["scored_rows"] < MIN_ROWS or rec["picks"] < MIN_ROWS:
        return "insufficient", (
            f"record of {rec['scored_rows']} scored rows and {rec['picks']} decided "
            f"picks over {rec['dates']} dates: fewer than {MIN_ROWS}"
        )
    hit = (
        f"hit rate {100 * rec['hit_rate']:.1f}% (95% {100 * rec['hit_rate_low']:.1f}-"
        f"{100 * rec['hit_rate_high']:.1f}) on {rec['picks']} picks, break-even {100 * rec['break_even']:.1f}%"
    )
    skill = f"Brier skill vs market {rec['brier_skill']:+.3f} on {rec['scored_rows']} rows"
    if rec["hit_rate"] < rec["break_even"]:
        return "below_break_even", f"{hit}: below break-even; {skill}"
    if rec["brier_skill"] < 0:
        return "degrading", f"{skill}: the de-vigged market is better calibrated; {hit}"
    return "healthy", f"{hit}; {skill}"


def gate(history: "pd.DataFrame", days, systems_markets) -> "pd.DataFrame":
    """Per date of `days` and (system, market): the record of the WINDOW_DATES graded dates before
    the date, its status, whether its picks are published, and why."""
    import pandas as pd

    distinct = np.unique(history["game_date"].to_numpy())
    sums = daily_sums(history)
    groups = {key: part.sort_values("game_date") for key, part in sums.groupby(["system_id", "market"])}
    cumulative = {
        key: (part["game_date"].to_numpy(), np.vstack([np.zeros(len(SUMS)), part[SUMS].to_numpy(float).cumsum(axis=0)]))
        for key, part in groups.items()
    }
    empty = (np.array([], dtype="datetime64[ns]"), np.zeros((1, len(SUMS))))
    out = []
    for day in days:
        day64 = np.datetime64(pd.Timestamp(day), "ns")
        before = int(np.searchsorted(distinct, day64, side="left"))
        first = distinct[max(0, before - WINDOW_DATES)] if before else day64
        for system_id, market in systems_markets:
            dates, totals = cumulative.get((system_id, market), empty)
            low, high = np.searchsorted(dates, first, side="left"), np.searchsorted(dates, day64, side="left")
            window = dict(zip(SUMS, totals[high] - totals[low]))
            rec = record_from_sums(window, int(high - low))
            state, reason = status(rec)
            out.append(
                {
                    "game_date": pd.Timestamp(day).date(),
                    "system_id": system_id,
                    "market": market,
                    **rec,
                    "status": state,
                    "publish": state in PUBLISHED,
                    "reason": reason,
                }
            )
    return pd.DataFrame(out)
