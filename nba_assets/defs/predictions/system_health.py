"""System health: each system's record per market before a date, and the gate that keeps the
picks of a system whose record does not earn it out of the best bets. The rule, its window and
confidence are in nba_assets/lib/gate.py (docs/gate.md: its error rate measured by simulation).

The record of (system, market) as of a date: its graded rows of its last gate.WINDOW_DATES graded
dates BEFORE that date (never the date itself):
- scored rows (played, a line, the system's and the market's probabilities, no push): Brier score
  of the system's P(over | not a push) and of the de-vigged market's, skill = 1 - ratio, and its
  date-clustered bootstrap interval (the gate's evidence);
- picks (its OVER/UNDER sides with EV > 0, decided WIN/LOSS): hit rate with a 95% Wilson
  interval, the break-even hit rate of the prices it took (mean implied probability), ROI. Shown,
  not gated on: a hit rate over a few hundred picks is noise around break-even (issue 22).
"""

import datetime as dt
from typing import TYPE_CHECKING

from nba_assets.lib import gate as gate_rule
from nba_assets.lib import probability as prob
from nba_assets.lib import tables

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from resources.interfaces import Warehouse

WINDOW_DATES = gate_rule.WINDOW_DATES
# The statuses whose picks are published (a test widens it to see the picks the gate holds back).
PUBLISHED = {gate_rule.PUBLISHED}


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
        se_system=gate_rule.squared_errors(p_system, went_over),
        se_market=gate_rule.squared_errors(p_market, went_over),
    )


def decided_picks(rows: "pd.DataFrame") -> "pd.DataFrame":
    """The system's picks that won or lost, with the profit of one unit at the price taken."""
    import numpy as np

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


def gate(history: "pd.DataFrame", days, systems_markets) -> "pd.DataFrame":
    """Per date of `days` and (system, market): the record of its last WINDOW_DATES graded dates
    before the date, the Brier skill's interval, the gate's status, whether its picks are
    published, and why."""
    import numpy as np
    import pandas as pd

    sums = daily_sums(history)
    sums = sums[sums["scored_rows"] > 0]
    groups = {key: part.sort_values("game_date") for key, part in sums.groupby(["system_id", "market"])}
    out = []
    for system_id, market in systems_markets:
        part = groups.get((system_id, market), sums.iloc[:0])
        dates = part["game_date"].to_numpy()
        totals = np.vstack([np.zeros(len(SUMS)), part[SUMS].to_numpy(float).cumsum(axis=0)])
        ends = np.searchsorted(dates, np.array([np.datetime64(pd.Timestamp(d), "ns") for d in days]), side="left")
        starts = np.maximum(ends - WINDOW_DATES, 0)
        intervals = _intervals(part, ends)
        for day, first, last in zip(days, starts, ends):
            rec = record_from_sums(dict(zip(SUMS, totals[last] - totals[first])), int(last - first))
            skill, low, high = intervals.get(int(last), (rec["brier_skill"], None, None))
            state = gate_rule.status(rec["dates"], rec["scored_rows"], low if low is not None else -1, high or 0)
            why = gate_rule.reason(state, rec["dates"], rec["scored_rows"], skill, low, high)
            if rec["picks"]:
                why += (
                    f"; picks {rec['picks']}, hit rate {100 * rec['hit_rate']:.1f}% (95% "
                    f"{100 * rec['hit_rate_low']:.1f}-{100 * rec['hit_rate_high']:.1f}), "
                    f"break-even {100 * rec['break_even']:.1f}%, ROI {100 * rec['roi']:+.1f}%"
                )
            out.append(
                {
                    "game_date": pd.Timestamp(day).date(),
                    "system_id": system_id,
                    "market": market,
                    **rec,
                    "skill_low": None if low is None else round(float(low), 6),
                    "skill_high": None if high is None else round(float(high), 6),
                    "status": state,
                    "publish": state in PUBLISHED,
                    "reason": why,
                }
            )
    return pd.DataFrame(out)


def _intervals(part: "pd.DataFrame", ends: "np.ndarray") -> dict:
    """{end index: (skill, low, high)} of the full windows (WINDOW_DATES dates) ending before each
    of `ends`, in one vectorized call of the gate's bootstrap."""
    import numpy as np

    full = np.unique(ends[ends >= WINDOW_DATES])
    if not len(full):
        return {}
    index = full[:, None] - WINDOW_DATES + np.arange(WINDOW_DATES)[None, :]
    skill, low, high = gate_rule.skill_intervals(
        part["se_system"].to_numpy(float)[index], part["se_market"].to_numpy(float)[index]
    )
    return {int(e): (float(s), float(lo), float(hi)) for e, s, lo, hi in zip(full, skill, low, high)}
