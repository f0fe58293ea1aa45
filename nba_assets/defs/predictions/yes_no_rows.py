"""The double-double and triple-double rows of market_prop_predictions, for both systems.

Each system's P(X >= 10) of points, rebounds and assists comes from the SAME distributions it
prices those markets with that date (no model of its own for the yes/no markets):
- moving_average_v1: its mean (0.5·L5 + 0.3·L10 + 0.2·season) and the date's distribution fitted
  on its earlier results (market_predictions.baseline_yes_no_tails: with_probabilities at 9.5);
- ml_market_v1: the week's model of the market, its mean moved toward the market's line as it
  learned (line + w·(model - line) where the player has a line in that market, the model's own
  mean elsewhere) and its fitted distribution.
The three are joined by the Gaussian copula of lib/yes_no.py, with the player's correlations
from his games strictly before the date. P(yes) is stored as P(over) of the 0.5 line (P(no) as
P(under), P(push) = 0), `predicted_value` is P(yes) (the mean of the 0/1 stat), and the pick,
EV and stake follow the over/under markets' rules at the Yes/No consensus prices.
"""

from typing import TYPE_CHECKING

from nba_assets.defs.model import market_models
from nba_assets.lib.markets import BY_KEY, YES_NO_KEYS, YES_NO_THRESHOLD

if TYPE_CHECKING:
    import pandas as pd

TAIL_LINE = YES_NO_THRESHOLD - 0.5  # P(over 9.5) = P(X >= 10)
KEYS = ["game_date", "player_lookup"]
CORRELATION_COLUMNS = ["r_pts_reb", "r_pts_ast", "r_reb_ast"]


def components(features: "pd.DataFrame", lines: "pd.DataFrame") -> "pd.DataFrame":
    """The points, rebounds and assists feature rows of the players with a yes/no line."""
    from nba_assets.lib import yes_no

    wanted = lines[KEYS].drop_duplicates()
    rows = features[features["market"].isin(yes_no.STATS)]
    return rows.merge(wanted, on=KEYS)


def tails_wide(rows: "pd.DataFrame") -> "pd.DataFrame":
    """(game_date, player_lookup) x STATS of P(X >= 10) (column `p_tail` of `rows`)."""
    import pandas as pd

    from nba_assets.lib import yes_no

    if rows.empty:  # typed: the rows merge on the dates
        return pd.DataFrame(
            {"game_date": pd.Series(dtype="datetime64[ns]"), "player_lookup": pd.Series(dtype=object)}
            | {stat: pd.Series(dtype=float) for stat in yes_no.STATS}
        )
    wide = rows.pivot_table(index=KEYS, columns="market", values="p_tail", aggfunc="first", dropna=False)
    return wide.reindex(columns=list(yes_no.STATS)).reset_index()


def ml_tails(features: "pd.DataFrame", models_by_week: dict, lines: "pd.DataFrame") -> "pd.DataFrame":
    """ml_market_v1's P(X >= 10) per player, date and stat, where the week has a model with a
    distribution in that market and the player's features are complete."""
    import numpy as np
    import pandas as pd

    rows = components(features, lines)
    rows = rows[market_models.complete(rows)]
    week = pd.to_datetime(rows["game_date"]).dt.date.map(market_models.weekly.monday)
    parts = []
    for (monday, market), part in rows.groupby([week, rows["market"]], sort=True):
        model = (models_by_week.get(monday) or {}).get(market)
        if model is None or not model.has_distribution:
            continue
        raw = model.mean(part)
        line = part["consensus_line"].astype(float).to_numpy()
        mean = np.where(np.isnan(line), raw, line + model.line_weight * (raw - line))
        p_over, _, _ = model.probabilities(mean, np.full(len(part), TAIL_LINE))
        parts.append(part[[*KEYS, "market"]].assign(p_tail=p_over))
    return tails_wide(pd.concat(parts)) if parts else tails_wide(rows.iloc[:0])


def yes_no_rows(
    lines: "pd.DataFrame", tails: "pd.DataFrame", correlations: "pd.DataFrame", features: "pd.DataFrame"
) -> "pd.DataFrame":
    """One row per yes/no line (consensus rows: game_date, player_lookup, market, consensus_line,
    n_books, over_odds, under_odds) with the player's names and teams (from his points feature
    row), predicted_value = p_over = P(yes), p_under = P(no), p_push = 0; no probabilities where
    a marginal is missing."""
    import numpy as np

    from nba_assets.lib import yes_no

    people = features.loc[features["market"] == "points", [*KEYS, "player_name", "team_abbr", "opponent_abbr"]]
    rows = lines.merge(people.drop_duplicates(KEYS), on=KEYS, how="left")
    rows = rows.merge(tails, on=KEYS, how="left").merge(correlations, on=KEYS, how="left")
    p_tail = rows[list(yes_no.STATS)].to_numpy(float)
    usable = ~np.isnan(p_tail).any(axis=1) & rows[CORRELATION_COLUMNS].notna().all(axis=1).to_numpy()
    p_yes = np.full(len(rows), np.nan)
    if usable.any():
        double, triple = yes_no.yes_probabilities(p_tail[usable], rows.loc[usable, CORRELATION_COLUMNS].to_numpy(float))
        categories = rows.loc[usable, "market"].map(lambda m: BY_KEY[m].categories).to_numpy()
        p_yes[usable] = np.where(categories == 2, double, triple)
    p_yes = np.round(p_yes, 4)
    return rows.assign(
        line=rows["consensus_line"].astype(float),
        predicted_value=p_yes,
        p_over=p_yes,
        p_under=np.round(1 - p_yes, 4),
        p_push=np.where(np.isnan(p_yes), np.nan, 0.0),
        distribution=rows["market"].map(lambda m: BY_KEY[m].distribution),
        dispersion=np.nan,
    )


def lines_of(warehouse, start, end) -> "pd.DataFrame":
    """The window's yes/no consensus lines."""
    from nba_assets.lib import tables

    markets = ", ".join(f"'{m}'" for m in YES_NO_KEYS)
    return warehouse.query(
        "SELECT game_date, player_lookup, market, consensus_line, n_books, over_odds, under_odds "
        f"FROM {warehouse.relation(*tables.MARKET_LINES_CONSENSUS)} "
        f"WHERE game_date >= ? AND game_date < ? AND market IN ({markets}) ORDER BY game_date, player_lookup, market",
        [start, end],
    )


def games_of(warehouse, start, end) -> "pd.DataFrame":
    """Played games of HISTORY_DAYS before start up to end (exclusive): the correlations' input
    (each date reads only its earlier games)."""
    import datetime as dt

    from nba_assets.lib import tables, yes_no

    return warehouse.query(
        f"SELECT game_date, player_lookup, {', '.join(yes_no.STATS)} "
        f"FROM {warehouse.relation(*tables.PLAYER_GAME_SUMMARY)} "
        "WHERE played AND game_date >= ? AND game_date < ? ORDER BY game_date, player_lookup",
        [start - dt.timedelta(days=yes_no.HISTORY_DAYS), end],
    )


def leaked(correlations: "pd.DataFrame") -> "pd.DataFrame":
    """Correlation rows that read a game of their own date or later (none, by construction: the
    guard that would name them)."""
    last = correlations["last_correlation_game_date"]
    return correlations[last.notna() & (last >= correlations["game_date"])]
