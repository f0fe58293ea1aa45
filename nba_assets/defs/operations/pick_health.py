"""The health summary's sections about picks (issue 22): prediction coverage per date and market
(predictions/coverage.py) and the suspect quotes the best-price rule refused, per date and book
(lib/pricing.py)."""

import datetime as dt

from nba_assets.defs.predictions.best_bets import quotes_of
from nba_assets.defs.predictions.coverage import coverage_table, prediction_coverage
from nba_assets.lib import gate, pricing, tables
from resources.interfaces import Warehouse


def pick_health(warehouse: Warehouse, first: dt.date, last: dt.date) -> str:
    end = last + dt.timedelta(days=1)
    coverage = prediction_coverage(warehouse, first, end)
    low = coverage[coverage["coverage"].fillna(0.0) < gate.COVERAGE_WARN]
    lines = [
        f"## Prediction coverage below {100 * gate.COVERAGE_WARN:.0f}%: {len(low)} of {len(coverage)} date-markets",
        coverage_table(low) if len(low) else "- none",
    ]
    if warehouse.table_exists(*tables.MARKET_BOOK_QUOTES):
        counts = pricing.suspect_counts(quotes_of(warehouse, first, end))
        flagged = counts[counts["far_from_books"] > 0]
        lines += [
            "",
            f"## Suspect quotes (never taken): {int(counts['far_from_books'].sum())} far from the other books', "
            f"{int(counts['single_book'].sum())} single-book lines",
        ]
        lines += [
            f"- {r.game_date} {r.bookmaker}: {r.far_from_books} far from the others of {r.quotes} quotes"
            for r in flagged.itertuples()
        ] or ["- none far from the others"]
    return "\n".join(lines)
