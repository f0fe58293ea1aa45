"""The prop markets the platform predicts and grades, and how each is modelled.

The same lists are in dbt (`dbt_project/macros/markets.sql`: `prop_markets()` and
`yes_no_markets()`); a test keeps them equal. `raw_market` is The Odds API's key in
nba_raw.prop_lines; `columns` are the box-score columns a line is graded on.

Two kinds of market:
- over/under (`MARKETS`, seven): graded on the sum of `columns` (PRA: points + rebounds +
  assists); each has features (player_market_features) and a weekly model (market_models).
  `distribution`: how a system's mean becomes P(over) / P(under) / P(push) (probability.py and
  docs/markets.md): negative binomial for the counting stats (small integers whose variance
  exceeds their mean), an empirical residual distribution for points and PRA (large sums of 2s,
  3s and 1s whose shape is not a textbook one).
- yes/no (`YES_NO_MARKETS`: double-double, triple-double): no line at the books; the stat is 1
  when at least `categories` of `columns` (points, rebounds, assists, steals, blocks: the official
  five) reach YES_NO_THRESHOLD, else 0, and the pipeline carries them as over/under YES_NO_LINE
  (0.5) of that stat: Yes = OVER, No = UNDER, never a push. No features and no model of their
  own: P(yes) joins the points, rebounds and assists distributions each system already predicts
  (yes_no.py, docs/markets.md "Double-double and triple-double").

`PRICED_MARKETS` / `MARKET_KEYS`: all nine, the generic pipeline's markets (consensus, predictions,
grading, report, gate, coverage, best bets). `MODEL_MARKET_KEYS`: the seven with features and models.
"""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Market:
    market: str
    raw_market: str
    columns: tuple[str, ...]
    distribution: Literal["negative_binomial", "residual", "gaussian_copula"]
    categories: int | None = None  # yes/no markets: categories that must reach YES_NO_THRESHOLD

    @property
    def yes_no(self) -> bool:
        return self.categories is not None


YES_NO_THRESHOLD = 10
YES_NO_LINE = 0.5
FIVE_CATEGORIES = ("points", "rebounds", "assists", "steals", "blocks")

MARKETS = (
    Market("points", "player_points", ("points",), "residual"),
    Market("rebounds", "player_rebounds", ("rebounds",), "negative_binomial"),
    Market("assists", "player_assists", ("assists",), "negative_binomial"),
    Market("threes", "player_threes", ("fg3m",), "negative_binomial"),
    Market("pra", "player_points_rebounds_assists", ("points", "rebounds", "assists"), "residual"),
    Market("steals", "player_steals", ("steals",), "negative_binomial"),
    Market("blocks", "player_blocks", ("blocks",), "negative_binomial"),
)
YES_NO_MARKETS = (
    Market("double_double", "player_double_double", FIVE_CATEGORIES, "gaussian_copula", categories=2),
    Market("triple_double", "player_triple_double", FIVE_CATEGORIES, "gaussian_copula", categories=3),
)
PRICED_MARKETS = MARKETS + YES_NO_MARKETS

BY_KEY = {m.market: m for m in PRICED_MARKETS}
MARKET_KEYS = tuple(BY_KEY)
MODEL_MARKET_KEYS = tuple(m.market for m in MARKETS)
YES_NO_KEYS = tuple(m.market for m in YES_NO_MARKETS)


def actual_values(frame):
    """The market's stat of each row of `frame` (columns `market` and the box-score columns of
    every market on the same row; PRA: the sum; yes/no markets: 1 when enough of the five
    categories reach 10, else 0). NaN where a column is missing."""
    import numpy as np
    import pandas as pd

    out = pd.Series(float("nan"), index=frame.index)
    for market in PRICED_MARKETS:
        rows = frame["market"] == market.market
        if not rows.any():
            continue
        values = frame.loc[rows, list(market.columns)].astype(float)
        if market.yes_no:
            reached = (values >= YES_NO_THRESHOLD).sum(axis=1)
            out[rows] = np.where(values.isna().any(axis=1), np.nan, (reached >= market.categories).astype(float))
        else:
            out[rows] = values.sum(axis=1, min_count=len(market.columns))
    return out
