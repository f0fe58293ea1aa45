"""The price a pick is taken at: the best real quote among the books, never a suspect one
(docs/gate.md, "Best price").

Quotes are analytics.market_book_quotes: each book's lines for a player, date and market at its
latest snapshot. A quote is SUSPECT, and never taken, when
- no second book quotes that line (`books_at_line` < MIN_BOOKS_AT_LINE): nothing confirms it, or
- its de-vigged P(over) is more than SUSPECT_GAP from the median of the books at that line: a
  stale or mistyped price (the archive has one book's 0.5 threes OVER at +190 while the others
  price it near -200). On the archive the gap's 99.9th percentile is 0.08.

A side (OVER or UNDER of a system's prediction) is priced at every unsuspected quote of the
consensus line and, where the system's distribution can price another line (a negative binomial
with its size: the counting markets), at every unsuspected quote of a better line (a lower line
for OVER, a higher one for UNDER) with the system's probabilities of that line. Each option's EV
is taken at the shrunk probability (gate.shrunk_over: the system's moved halfway to the books'
median de-vigged P(over) of that line); the side keeps its best option: the book, the line, the
price. The EV at the consensus price is kept beside it (`consensus_ev`).
"""

from typing import TYPE_CHECKING

from nba_assets.lib import gate
from nba_assets.lib import probability as prob

if TYPE_CHECKING:
    import pandas as pd

SUSPECT_GAP = 0.10
MIN_BOOKS_AT_LINE = 2

QUOTE_KEYS = ["game_date", "player_lookup", "market"]


def flag_suspect(quotes: "pd.DataFrame") -> "pd.DataFrame":
    """Quotes with their de-vigged P(over) (`quote_p_over`), the median of the books at that line
    (`line_p_over`), `suspect` and why (`suspect_reason`: `single_book` or `far_from_books`)."""
    import numpy as np

    p = prob.devig_over(quotes["over_odds"], quotes["under_odds"])
    quotes = quotes.assign(quote_p_over=p)
    median = quotes.groupby([*QUOTE_KEYS, "line"])["quote_p_over"].transform("median")
    single = quotes["books_at_line"].to_numpy() < MIN_BOOKS_AT_LINE
    far = np.abs(p - median.to_numpy()) > SUSPECT_GAP
    return quotes.assign(
        line_p_over=median,
        suspect=single | far,
        suspect_reason=np.where(single, "single_book", np.where(far, "far_from_books", None)),
    )


def suspect_counts(flagged: "pd.DataFrame") -> "pd.DataFrame":
    """Per date and book: quotes, suspect ones by reason."""
    import pandas as pd

    if flagged.empty:
        return pd.DataFrame(columns=["game_date", "bookmaker", "quotes", "single_book", "far_from_books"])
    counts = flagged.assign(
        single_book=flagged["suspect_reason"] == "single_book",
        far_from_books=flagged["suspect_reason"] == "far_from_books",
    )
    return (
        counts.groupby(["game_date", "bookmaker"])
        .agg(quotes=("line", "size"), single_book=("single_book", "sum"), far_from_books=("far_from_books", "sum"))
        .reset_index()
    )


def sides(predictions: "pd.DataFrame") -> "pd.DataFrame":
    """Both sides of every prediction with probabilities: one row per side (`recommendation`),
    with the consensus price of that side (`consensus_price`)."""
    import pandas as pd

    rows = predictions[predictions["p_over"].notna()]
    over = rows.assign(recommendation="OVER", consensus_price=rows["over_odds"])
    under = rows.assign(recommendation="UNDER", consensus_price=rows["under_odds"])
    return pd.concat([over, under], ignore_index=True)


def best_prices(sides_: "pd.DataFrame", flagged: "pd.DataFrame") -> "pd.DataFrame":
    """Each side at its best unsuspected option (module docstring): `book`, `line` (taken),
    `consensus_line`, `price`, `p_over`/`p_under`/`p_push` and `market_p_over` at the line taken,
    `ev` and `stake` at the shrunk probability, `consensus_ev` (at the consensus line and price,
    no book). Sides without any unsuspected quote are dropped."""
    import numpy as np
    import pandas as pd

    columns = [*QUOTE_KEYS, "bookmaker", "line", "over_odds", "under_odds", "line_p_over"]
    good = flagged.loc[~flagged["suspect"], columns]
    keys = [*QUOTE_KEYS, "system_id", "recommendation"]
    carried = [*keys, "line", "predicted_value", "p_over", "p_under", "p_push", "distribution", "dispersion"]
    options = sides_[carried].rename(columns={"line": "consensus_line"}).merge(good, on=QUOTE_KEYS)
    line, consensus = options["line"].to_numpy(float), options["consensus_line"].to_numpy(float)
    over = (options["recommendation"] == "OVER").to_numpy()
    priceable = ((options["distribution"] == "negative_binomial") & options["dispersion"].notna()).to_numpy()
    better = priceable & np.where(over, line < consensus, line > consensus)
    options = options[(line == consensus) | better].reset_index(drop=True)
    if options.empty:
        return pd.DataFrame(columns=[*sides_.columns, "book", "consensus_line", "consensus_ev"])
    # The system's probabilities of a better line from its negative binomial (one size per
    # system, market and date), into arrays assigned once (a .loc per size took minutes).
    probabilities = options[["p_over", "p_under", "p_push"]].to_numpy(float)
    moved = options["line"] != options["consensus_line"]
    for size, part in options[moved].groupby("dispersion"):
        probabilities[part.index.to_numpy()] = np.column_stack(
            prob.negative_binomial_probabilities(part["predicted_value"], part["line"], size)
        ).round(4)
    options[["p_over", "p_under", "p_push"]] = probabilities
    options["market_p_over"] = options["line_p_over"].round(4)
    options["price"] = np.where(over[(line == consensus) | better], options["over_odds"], options["under_odds"])
    best = priced(options).sort_values(["ev", "price", "bookmaker"], ascending=[False, False, True], kind="mergesort")
    best = best.drop_duplicates(keys).rename(columns={"bookmaker": "book"})
    best = best.drop(columns=["over_odds", "under_odds", "line_p_over"])
    # The prediction's other columns (names, teams, consensus prices), then the consensus EV.
    rest = [c for c in sides_.columns if c not in best.columns or c in keys]
    at_consensus = consensus_option(sides_)[[*keys, "consensus_ev"]]
    return best.merge(sides_[rest], on=keys, how="left").merge(at_consensus, on=keys, how="left")


def consensus_option(sides_: "pd.DataFrame") -> "pd.DataFrame":
    """Each side at the consensus line and average price (no book can be bet at it): the
    comparison the walk-forward report shows beside the best price."""
    at = priced(sides_.assign(price=sides_["consensus_price"]))
    return at.rename(columns={"ev": "consensus_ev", "stake": "consensus_stake"})


def priced(options: "pd.DataFrame") -> "pd.DataFrame":
    """EV and quarter-Kelly stake of each option's side at its `price`, at the shrunk probability
    (gate.shrunk_over); the system's own EV kept as `model_ev`."""
    import numpy as np

    p_over, p_under = gate.shrunk_over(options["p_over"], options["p_under"], options["market_p_over"])
    p_win = np.where(options["recommendation"] == "OVER", p_over, p_under)
    own = np.where(options["recommendation"] == "OVER", options["p_over"], options["p_under"]).astype(float)
    return options.assign(
        model_ev=np.round(prob.expected_value(own, options["p_push"], options["price"]), 4),
        ev=np.round(prob.expected_value(p_win, options["p_push"], options["price"]), 4),
        stake=np.round(prob.kelly_stake(p_win, options["p_push"], options["price"]), 6),
    )
