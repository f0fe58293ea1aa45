"""The replay's last lines (issue 22): per market and system the gate's status on the window's last
date with its evidence, the picks it published in the window, and the published record (every pick
up to the window's end) with its 95% intervals."""

import datetime as dt

from nba_assets.defs.grading.market_backtest import pick_arrays, pick_stats
from nba_assets.defs.grading.published_record import markdown, published_picks, report
from nba_assets.lib import gate, tables


def gate_summary(warehouse, start: dt.date, end: dt.date) -> str:
    if not warehouse.table_exists(*tables.BEST_BETS_GATE):
        return "Gate: no best bets in this warehouse yet"
    rows = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.BEST_BETS_GATE)} WHERE game_date >= ? AND game_date <= ? "
        "ORDER BY game_date, market, system_id",
        [start, end],
    )
    if rows.empty:
        return "Gate: no date with lines in the window"
    picks = published_picks(warehouse, end)
    window = picks[(picks["game_date"].dt.date >= start) & (picks["game_date"].dt.date <= end)]
    last = rows["game_date"].max()
    published_dates = rows[rows["publish"].astype(bool)].groupby(["market", "system_id"])["game_date"].nunique()
    out = [
        f"Gate (docs/gate.md: published when the {100 * gate.CONFIDENCE:.0f}% date-clustered interval of Brier skill "
        f"vs the de-vigged market over the last {gate.WINDOW_DATES} graded dates is above 0), on {last:%Y-%m-%d}:",
        f"{'market':<14}{'system':<20}{'status':<19}{'skill':>8}{'95% interval':>19}{'dates':>6}"
        f"{'published dates':>16}{'picks':>7}",
    ]
    for r in rows[rows["game_date"] == last].itertuples():
        interval = (
            "" if r.skill_low is None or r.skill_low != r.skill_low else f"{r.skill_low:+.4f}..{r.skill_high:+.4f}"
        )
        skill = "" if r.brier_skill is None or r.brier_skill != r.brier_skill else f"{r.brier_skill:+.4f}"
        n_picks = int(((window["market"] == r.market) & (window["system_id"] == r.system_id)).sum())
        out.append(
            f"{r.market:<14}{r.system_id:<20}{r.status:<19}{skill:>8}{interval:>19}{r.dates:>6}"
            f"{int(published_dates.get((r.market, r.system_id), 0)):>16}{n_picks:>7}"
        )
    record = report(picks, lambda frame: pick_stats(pick_arrays(frame)))
    out += [
        "",
        f"Published record (every pick published up to {end}, graded at its book's line and price; "
        "intervals resample dates):",
        markdown(record) if len(picks) else "no pick published",
    ]
    return "\n".join(out)
