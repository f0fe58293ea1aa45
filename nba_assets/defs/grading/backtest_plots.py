"""The backtest's figures as of a date: a reliability diagram per market (observed over rate
against predicted P(over | no push), each system and the de-vigged market, on the report's same
rows), and the points market's hit rate by |edge| bucket and calibration (edge_report.py). PNGs,
embedded in the materialization and written next to the exports (`v1/systems/plots/`).

Their own asset, outside the daily run (`daily_pipeline`: `make replay`, a new date): matplotlib's
import and nine renderings were ~0.65 s of a new date's ~9.5 s, for pictures only a person looking
at the report needs, and nothing downstream reads them. Drawn when asked for: `make run` (before
it opens the UI), `make replay REPLAY_ARGS=--figures`, the `report_figures` job, Materialize in the
UI (its Materialize all includes them). From the same graded rows as market_backtest_report's
numbers, and kept by their digest like them
(lib/plot_cache.py): a re-run on unchanged rows reuses the bytes.
"""

import base64
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset

from nba_assets.defs.grading import edge_report
from nba_assets.defs.grading.edge_report import PLOT_CACHE
from nba_assets.defs.grading.market_backtest import (
    as_of_metadata,
    graded_rows_as_of,
    outcome_rows,
    rows_digest,
    same_rows,
)
from nba_assets.defs.predictions import system_health as health
from nba_assets.lib import figures
from nba_assets.lib import probability as prob
from nba_assets.lib.asset_defaults import partitioned
from nba_assets.lib.plot_cache import cached_plots, digest_of
from nba_assets.lib.window import window_dates
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import pandas as pd


def reliability_plots(rows: "pd.DataFrame") -> dict[str, bytes]:
    """One reliability diagram per market: observed over rate against predicted P(over | no push),
    for each system and for the de-vigged market, on the same rows (all dates).

    One figure serves every market: what all diagrams share (axes, ticks, labels, the diagonal)
    is built once, and each market's curves, title and legend are drawn, rendered and removed
    (building a figure's axes and ticks is half of a diagram's ~60 ms)."""
    import numpy as np
    import pandas as pd

    out = {}
    same = same_rows(rows)
    scores = health.scored(same)
    # A market without any market price (the archive's yes/no markets): its systems' curves from
    # the rows scored against the outcome alone, no market curve.
    unpriced = outcome_rows(same[~same["market"].isin(scores["market"].unique())])
    scores = pd.concat([scores, unpriced.assign(market_p_over=np.nan)], ignore_index=True)
    figure, axis = figures.new_figure(4.2, 4.2, dict(left=0.15, right=0.97, bottom=0.12, top=0.92))
    axis.plot([0, 1], [0, 1], color="black", linestyle="--", linewidth=1)
    axis.set_xlim(0, 1)
    axis.set_ylim(0, 1)
    axis.set_xlabel("predicted P(over)")
    axis.set_ylabel("observed over rate")
    for market, part in scores.groupby("market"):
        first_system = part[part["system_id"] == part["system_id"].iloc[0]]
        curves = []
        if first_system["market_p_over"].notna().any():
            curves = [(f"market (de-vigged), n={len(first_system)}", first_system, "market_p_over")]
        curves += [(system_id, rows_, "p_system") for system_id, rows_ in part.groupby("system_id")]
        drawn = []
        for color, (label, rows_, column) in enumerate(curves):
            bins = prob.reliability(rows_[column], rows_["went_over"])
            bins = bins[bins["rows"] >= 20]
            drawn += axis.plot(
                bins["predicted"], bins["observed"], marker="o", markersize=3, label=label, color=f"C{color}"
            )
        axis.set_title(f"Reliability: {market}")
        drawn.append(axis.legend(fontsize=7))
        out[f"reliability_{market}.png"] = figures.png(figure, dpi=80)
        for artist in drawn:
            artist.remove()
    return out


def cached_reliability_plots(store: ObjectStore, rows: "pd.DataFrame") -> dict[str, bytes]:
    """`reliability_plots`, rendered only when the graded rows or the drawing changed (lib/plot_cache.py)."""
    markets = sorted(outcome_rows(same_rows(rows))["market"].unique())  # the plots' order
    digest = digest_of([rows_digest(rows)], __file__, figures.__file__)
    return cached_plots(
        store, PLOT_CACHE, digest, lambda: reliability_plots(rows), [f"reliability_{market}.png" for market in markets]
    )


@asset(
    **partitioned("grading", {"python", "matplotlib"}),
    deps=["market_backtest_report"],
    description="The backtest report's figures as of the date (PNG): a reliability diagram per market "
    "(each system and the de-vigged market), the points market's hit rate by |edge| bucket and "
    "calibration; in v1/systems/plots/. Not in the daily run: drawn on request (`make run`, "
    "`make replay REPLAY_ARGS=--figures`, the report_figures job, Materialize).",
)
def market_backtest_plots(
    context: AssetExecutionContext, warehouse: Warehouse, landing: ObjectStore
) -> MaterializeResult:
    as_of = window_dates(context)[-1]
    rows = graded_rows_as_of(warehouse, as_of)
    # The report has entries exactly when some rows are the same rows of every system.
    images = cached_reliability_plots(landing, rows) if len(same_rows(rows)) else {}
    # The points market by |edge| bucket (its numbers as the report computes them).
    points = edge_report.points_rows(rows)
    edges = edge_report.report(points)
    if edges["same_rows"]:
        images = {**edge_report.cached_backtest_plots(landing, edges, points), **images}
    uris = {name: landing.put_bytes(f"v1/systems/plots/{name}", data) for name, data in images.items()}
    embedded = "\n\n".join(
        f"![{name}](data:image/png;base64,{base64.b64encode(data).decode()})" for name, data in images.items()
    )
    return MaterializeResult(
        metadata=as_of_metadata(
            context,
            as_of,
            {
                "figures": MetadataValue.md(embedded or "no graded rows"),
                "plots": len(images),
                **{f"plot_{name}": MetadataValue.url(uri) for name, uri in uris.items()},
            },
        )
    )
