"""The prop markets the platform predicts and grades, and how each is modelled.

The same list is in dbt (`dbt_project/macros/markets.sql`, `prop_markets()`); a test keeps them
equal. `raw_market` is The Odds API's key in nba_raw.prop_lines; `columns` are the box-score
columns whose sum a line is graded on (PRA: points + rebounds + assists).

`distribution`: how a system's mean becomes P(over) / P(under) / P(push) (see probability.py and
the README's "Markets" section): negative binomial for the counting stats (small integers whose
variance exceeds their mean), an empirical residual distribution for points and PRA (large sums of
2s, 3s and 1s whose shape is not a textbook one).
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Market:
    market: str
    raw_market: str
    columns: tuple[str, ...]
    distribution: Literal["negative_binomial", "residual"]


MARKETS = (
    Market("points", "player_points", ("points",), "residual"),
    Market("rebounds", "player_rebounds", ("rebounds",), "negative_binomial"),
    Market("assists", "player_assists", ("assists",), "negative_binomial"),
    Market("threes", "player_threes", ("fg3m",), "negative_binomial"),
    Market("pra", "player_points_rebounds_assists", ("points", "rebounds", "assists"), "residual"),
    Market("steals", "player_steals", ("steals",), "negative_binomial"),
    Market("blocks", "player_blocks", ("blocks",), "negative_binomial"),
)

BY_KEY = {m.market: m for m in MARKETS}
MARKET_KEYS = tuple(BY_KEY)


def actual_values(frame):
    """The market's stat of each row of `frame` (columns `market` and the box-score columns of
    every market on the same row; PRA: the sum). NaN where a column is missing."""
    import pandas as pd

    out = pd.Series(float("nan"), index=frame.index)
    for market in MARKETS:
        rows = frame["market"] == market.market
        out[rows] = frame.loc[rows, list(market.columns)].astype(float).sum(axis=1, min_count=len(market.columns))
    return out
