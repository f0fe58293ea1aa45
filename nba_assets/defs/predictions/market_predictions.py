"""Market predictions: for every market with a real line, a system's mean and its P(over),
P(under), P(push), the market's de-vigged P(over), the better side's expected value at the
consensus price and a fractional-Kelly stake. Table nba_predictions.market_prop_predictions, keyed
by (game_date, player_lookup, market, system_id), two systems:

System `moving_average_v1`, every market: the seed system's 0.5·L5 + 0.3·L10 + 0.2·season average
of the market's stat (weights renormalized over the parts present; the points rows equal the points
table's predicted points). Its predictive distribution (probability.py) is fitted per market and
date on the same system's means and the actual results of the 60 game dates BEFORE the date (rows
of rotation players: minutes L10 >= 15): a negative-binomial dispersion for counting stats, the
scaled residuals for points and PRA. Nothing of the date itself or later is used; a date with too
little history gets no probabilities (PASS).

System `ml_market_v1`, every market: the week's model of the market (market_models.py: a Poisson
GLM, its distribution fitted on its own out-of-sample results before the week, and the learned
trust in the line), for feature rows with a line and complete features of weeks with a model.

Double-double and triple-double (yes/no, carried as over/under 0.5 of a 0/1 stat): both systems,
P(yes) from the same points, rebounds and assists distributions each system prices those markets
with, joined by a Gaussian copula with the player's correlations from his earlier games
(yes_no_rows.py, lib/yes_no.py). The ML system has a row where all three of its marginals exist.

Pick: the side with the larger expected value at its consensus price when that is > 0
(`min_ev`); the stake is a quarter Kelly capped at 2% of the bankroll. A missing price means no
pick on that side: EV is only ever computed at a real price.
"""

import datetime as dt
from typing import TYPE_CHECKING

from dagster import AssetExecutionContext, Config, Failure, MaterializeResult, MetadataValue, asset
from pydantic import Field

from nba_assets.defs.model import market_models
from nba_assets.defs.predictions import yes_no_rows
from nba_assets.lib import probability as prob
from nba_assets.lib import tables
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.markets import MARKETS, actual_values
from nba_assets.lib.metadata import preview_metadata, rows_by_date, window_metadata
from nba_assets.lib.window import window_bounds
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import pandas as pd

BASELINE = "moving_average_v1"
WEIGHTS = {"stat_avg_last_5": 0.5, "stat_avg_last_10": 0.3, "stat_avg_season": 0.2}
# The distribution of a date is fitted on the system's results of this many earlier game dates
# (recent enough to follow the season, ~9,000 points rows), of players with this many minutes
# (the population books post lines for; deep-bench rows would widen the residuals), and needs at
# least this many rows.
FIT_DATES = 60
FIT_MIN_MINUTES = 15.0
FIT_MIN_ROWS = 200
HISTORY_DAYS = 400

COLUMN_TYPES = {
    "game_date": "DATE",
    "player_lookup": "VARCHAR",
    "player_name": "VARCHAR",
    "team_abbr": "VARCHAR",
    "opponent_abbr": "VARCHAR",
    "market": "VARCHAR",
    "system_id": "VARCHAR",
    "predicted_value": "DOUBLE",
    "line": "DOUBLE",
    "n_books": "INTEGER",
    "over_odds": "DOUBLE",
    "under_odds": "DOUBLE",
    "distribution": "VARCHAR",
    "dispersion": "DOUBLE",
    "p_over": "DOUBLE",
    "p_under": "DOUBLE",
    "p_push": "DOUBLE",
    "market_p_over": "DOUBLE",
    "recommendation": "VARCHAR",
    "price": "DOUBLE",
    "ev": "DOUBLE",
    "stake": "DOUBLE",
}


class MarketPredictionConfig(Config):
    min_ev: float = Field(
        default=0.0,
        description="A side is picked when its expected value per unit staked at the consensus price exceeds this.",
    )


def moving_average(features: "pd.DataFrame") -> "pd.Series":
    import pandas as pd

    weighted = pd.Series(0.0, index=features.index)
    weights = pd.Series(0.0, index=features.index)
    for column, weight in WEIGHTS.items():
        values = features[column].astype(float)
        weighted = weighted + values.fillna(0.0) * weight
        weights = weights + values.notna() * weight
    return (weighted / weights).where(weights > 0).round(2)


def fitted_probabilities(market, mean, line, history_mean, history_actual):
    """(p_over, p_under, p_push, dispersion) of `line` around `mean`, the distribution fitted on
    earlier (history) means and actual values of the same system and market."""
    if market.distribution == "negative_binomial":
        size = prob.fit_negative_binomial_size(history_mean, history_actual)
        return (*prob.negative_binomial_probabilities(mean, line, size), size)
    residuals = prob.scaled_residuals(history_mean, history_actual)
    return (*prob.residual_probabilities(mean, line, residuals), float(residuals.std()))


def with_probabilities(features: "pd.DataFrame", history: "pd.DataFrame") -> "pd.DataFrame":
    """p_over / p_under / p_push / dispersion for each feature row with a line and a mean, each
    date's distribution fitted on history rows of the FIT_DATES game dates before it."""
    import numpy as np

    # Positions and numpy arrays, not pandas' loc per market and date (~0.5 s of a season).
    figures = np.full((len(features), 4), np.nan)  # p_over, p_under, p_push, dispersion
    row_markets, row_dates = features["market"].to_numpy(), features["game_date"].to_numpy("datetime64[ns]")
    predicted, lines = features["predicted_value"].to_numpy(float), features["line"].to_numpy(float)
    usable = ~np.isnan(predicted) & ~np.isnan(lines)
    history_markets = history["market"].to_numpy()
    for market in MARKETS:
        # Sorted on every column: the warehouse returns rows in any order, and float sums over
        # them must not depend on it (DuckDB and BigQuery give the same probabilities).
        past = history[history_markets == market.market].sort_values(
            ["game_date", "predicted_value", "actual_value"], kind="mergesort"
        )
        past_dates = past["game_date"].to_numpy("datetime64[ns]")
        distinct = np.unique(past_dates)
        mean_values, actual = past["predicted_value"].to_numpy(float), past["actual_value"].to_numpy(float)
        targets = np.flatnonzero((row_markets == market.market) & usable)
        targets = targets[np.argsort(row_dates[targets], kind="stable")]
        days, starts = np.unique(row_dates[targets], return_index=True)
        for day, at in zip(days, np.split(targets, starts[1:])):
            before = np.searchsorted(distinct, day, side="left")
            if before == 0:
                continue
            low = np.searchsorted(past_dates, distinct[max(0, before - FIT_DATES)], side="left")
            high = np.searchsorted(past_dates, day, side="left")
            if high - low < FIT_MIN_ROWS:
                continue
            p_over, p_under, p_push, dispersion = fitted_probabilities(
                market, predicted[at], lines[at], mean_values[low:high], actual[low:high]
            )
            figures[at, :3] = np.column_stack([p_over, p_under, p_push])
            figures[at, 3] = dispersion
    out = features.assign(p_over=figures[:, 0], p_under=figures[:, 1], p_push=figures[:, 2], dispersion=figures[:, 3])
    out["distribution"] = out["market"].map({m.market: m.distribution for m in MARKETS})
    return out


def with_picks(rows: "pd.DataFrame", min_ev: float) -> "pd.DataFrame":
    """Market P(over), EV of each side at its price, the better side when its EV > min_ev, stake."""
    import numpy as np

    ev_over = prob.expected_value(rows["p_over"], rows["p_push"], rows["over_odds"])
    ev_under = prob.expected_value(rows["p_under"], rows["p_push"], rows["under_odds"])
    over_better = np.nan_to_num(ev_over, nan=-np.inf) >= np.nan_to_num(ev_under, nan=-np.inf)
    ev = np.round(np.where(over_better, ev_over, ev_under), 4)
    side = np.where(over_better, "OVER", "UNDER")
    price = np.where(over_better, rows["over_odds"], rows["under_odds"]).astype(float)
    p_win = np.where(over_better, rows["p_over"], rows["p_under"]).astype(float)
    # Rounded (as every stored number): the same on DuckDB and BigQuery, whose float sums differ
    # in the last bits. A stake that rounds to nothing is no pick.
    stake = np.round(prob.kelly_stake(p_win, rows["p_push"], price), 6)
    pick = (np.nan_to_num(ev, nan=-np.inf) > min_ev) & (stake > 0)
    return rows.assign(
        market_p_over=np.round(prob.devig_over(rows["over_odds"], rows["under_odds"]), 4),
        recommendation=np.where(pick, side, "PASS"),
        price=np.where(pick, price, np.nan),
        ev=ev,
        stake=np.where(pick, stake, 0.0),
    )


def predict_baseline(features: "pd.DataFrame", history: "pd.DataFrame", min_ev: float) -> "pd.DataFrame":
    """moving_average_v1 rows for every feature row with a line."""
    features = features[features["has_line"].astype(bool)].copy()
    features["predicted_value"] = moving_average(features)
    features["line"] = features["consensus_line"].astype(float)
    rows = with_probabilities(features, history)
    rows[["p_over", "p_under", "p_push", "dispersion"]] = rows[["p_over", "p_under", "p_push", "dispersion"]].round(4)
    rows = with_picks(rows, min_ev).assign(system_id=BASELINE)
    return rows[list(COLUMN_TYPES)].reset_index(drop=True)


def predict_ml(features: "pd.DataFrame", models_by_week: dict, min_ev: float) -> "pd.DataFrame":
    """ml_market_v1 rows for feature rows with a line and complete features whose week and market
    have a model (`models_by_week`: {week: {market: MarketModel}}, as stored by market_models)."""
    import numpy as np
    import pandas as pd

    rows = features[features["has_line"].astype(bool) & market_models.complete(features)].copy()
    week = pd.to_datetime(rows["game_date"]).dt.date.map(market_models.weekly.monday)
    parts = []
    for (monday, market), part in rows.groupby([week, rows["market"]], sort=True):
        model = (models_by_week.get(monday) or {}).get(market)
        if model is None:
            continue
        predicted = model.predict(part)
        spread = model.spread()
        parts.append(
            part.assign(**{c: predicted[c] for c in predicted}, dispersion=np.nan if spread is None else spread)
        )
    if not parts:
        return pd.DataFrame(columns=list(COLUMN_TYPES))
    rows = pd.concat(parts)
    rows["line"] = rows["consensus_line"].astype(float)
    rows["distribution"] = rows["market"].map({m.market: m.distribution for m in MARKETS})
    rows["predicted_value"] = rows["predicted_value"].round(2)
    probabilities = ["p_over", "p_under", "p_push", "dispersion"]
    rows[probabilities] = rows[probabilities].astype(float).round(4)
    # Rounded each to 4 places, the three must still sum to 1: P(under) takes the remainder.
    rows["p_under"] = np.where(rows["p_over"].notna(), (1 - rows["p_over"] - rows["p_push"]).round(4), np.nan)
    rows = with_picks(rows, min_ev).assign(system_id=market_models.SYSTEM)
    return rows[list(COLUMN_TYPES)].reset_index(drop=True)


def baseline_yes_no_tails(features: "pd.DataFrame", history: "pd.DataFrame", lines: "pd.DataFrame") -> "pd.DataFrame":
    """moving_average_v1's P(X >= 10) of points, rebounds, assists per player with a yes/no line:
    its mean and the date's fitted distribution at line 9.5 (yes_no_rows.py)."""
    rows = yes_no_rows.components(features, lines)
    rows = rows.assign(predicted_value=moving_average(rows), line=yes_no_rows.TAIL_LINE)
    priced = with_probabilities(rows, history)
    return yes_no_rows.tails_wide(priced.assign(p_tail=priced["p_over"]))


def predict_yes_no(
    lines: "pd.DataFrame",
    tails: "pd.DataFrame",
    correlations: "pd.DataFrame",
    features: "pd.DataFrame",
    system_id: str,
    min_ev: float,
) -> "pd.DataFrame":
    """A system's double-double / triple-double rows (yes_no_rows.py) with its picks."""
    rows = yes_no_rows.yes_no_rows(lines, tails, correlations, features)
    if system_id != BASELINE:  # the ML system has a row only where it has all three marginals
        rows = rows[rows["p_over"].notna()]
    rows = with_picks(rows, min_ev).assign(system_id=system_id)
    return rows[list(COLUMN_TYPES)].reset_index(drop=True)


def yes_no_predictions(
    warehouse: Warehouse, features, history, models_by_week: dict, start: dt.date, end: dt.date, min_ev: float
) -> "tuple[pd.DataFrame, pd.DataFrame]":
    """(rows of both systems, the correlations used) for the window's yes/no lines."""
    import pandas as pd

    from nba_assets.lib import yes_no

    lines = _dates(yes_no_rows.lines_of(warehouse, start, end))
    if lines.empty:
        return pd.DataFrame(columns=list(COLUMN_TYPES)), yes_no.correlations(lines, lines)
    correlations = yes_no.correlations(_dates(yes_no_rows.games_of(warehouse, start, end)), lines)
    leaks = yes_no_rows.leaked(correlations)
    if len(leaks):  # cannot happen (correlations reads strictly earlier games): named if it does
        raise Failure(
            f"{len(leaks)} yes/no correlations read a game of their own date or later: "
            + ", ".join(f"{r.player_lookup} {r.game_date:%Y-%m-%d}" for r in leaks.head(10).itertuples())
        )
    parts = [
        predict_yes_no(
            lines, baseline_yes_no_tails(features, history, lines), correlations, features, BASELINE, min_ev
        ),
        predict_yes_no(
            lines,
            yes_no_rows.ml_tails(features, models_by_week, lines),
            correlations,
            features,
            market_models.SYSTEM,
            min_ev,
        ),
    ]
    parts = [p for p in parts if len(p)]  # an empty frame would turn the dates' column to objects
    return (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(COLUMN_TYPES))), correlations


def models_of_window(store: "ObjectStore", start: dt.date, end: dt.date) -> dict:
    """{week: {market: model}} of the weeks of start..end (exclusive) that have an artifact."""
    weeks = market_models.weekly.weeks_of([start + dt.timedelta(days=i) for i in range((end - start).days)])
    return {week: models for week in weeks if (models := market_models.load_models(store, week))}


def history_rows(warehouse: Warehouse, start: dt.date, end: dt.date) -> "pd.DataFrame":
    """The baseline's means and the actual results of played games of rotation players, every
    market, dates before `end` back to HISTORY_DAYS before `start` (each date then uses only the
    FIT_DATES game dates before it)."""
    features = warehouse.relation(*tables.PLAYER_MARKET_FEATURES)
    games = warehouse.relation(*tables.PLAYER_GAME_SUMMARY)
    frame = warehouse.query(
        f"""
        SELECT f.game_date, f.market, f.stat_avg_last_5, f.stat_avg_last_10, f.stat_avg_season,
               g.points, g.rebounds, g.assists, g.fg3m, g.steals, g.blocks
        FROM {features} f
        INNER JOIN {games} g ON g.game_date = f.game_date AND g.player_lookup = f.player_lookup
        WHERE f.game_date >= ? AND f.game_date < ? AND g.played AND f.minutes_avg_last_10 >= ?
        """,
        [start - dt.timedelta(days=HISTORY_DAYS), end, FIT_MIN_MINUTES],
    )
    frame["predicted_value"] = moving_average(frame)
    frame["actual_value"] = actual_values(frame)
    return frame[frame["predicted_value"].notna() & frame["actual_value"].notna()][
        ["game_date", "market", "predicted_value", "actual_value"]
    ]


def correlation_summary(correlations: "pd.DataFrame") -> str:
    """The copula's correlations of the window's yes/no players: how many, how many games of their
    own, the mean of each pair."""
    from nba_assets.lib import yes_no

    if correlations.empty:
        return "no yes/no lines"
    shrunk_only = int((correlations["correlation_games"] < yes_no.MIN_PLAYER_GAMES).sum())
    means = " | ".join(f"{correlations[c].mean():+.3f}" for c in yes_no_rows.CORRELATION_COLUMNS)
    return (
        "| players | median own games | league prior only | mean r(pts,reb) | mean r(pts,ast) | mean r(reb,ast) |\n"
        "|---:|---:|---:|---:|---:|---:|\n"
        f"| {len(correlations)} | {correlations['correlation_games'].median():.0f} | {shrunk_only} | {means} |"
    )


def _dates(frame: "pd.DataFrame") -> "pd.DataFrame":
    import pandas as pd

    return frame.assign(game_date=pd.to_datetime(frame["game_date"]).dt.as_unit("ns"))


@asset(
    **partitioned("predictions", {"python", "pandas", "duckdb"}),
    deps=["player_market_features", "player_game_summary", "market_lines_consensus", "market_models"],
    description="Per player, date, market (points, rebounds, assists, threes, pra, steals, blocks, "
    "double_double, triple_double: P(yes) as P(over) of 0.5) "
    "and system (moving_average_v1, ml_market_v1): mean, P(over)/P(under)/P(push) from a distribution fitted on earlier dates, the "
    "market's de-vigged P(over), EV at the consensus price and a quarter-Kelly stake; "
    "nba_predictions.market_prop_predictions.",
)
@warehouse_session
def market_prop_predictions(
    context: AssetExecutionContext, config: MarketPredictionConfig, warehouse: Warehouse, landing: ObjectStore
) -> MaterializeResult:
    import pandas as pd

    start, end = window_bounds(context)
    features = warehouse.query(
        f"SELECT * FROM {warehouse.relation(*tables.PLAYER_MARKET_FEATURES)} WHERE game_date >= ? AND game_date < ?",
        [start, end],
    )
    features = _dates(features)
    history = _dates(history_rows(warehouse, start, end))
    models = models_of_window(landing, start, end)
    baseline = predict_baseline(features, history, config.min_ev)
    ml = predict_ml(features, models, config.min_ev)
    yes_no_part, correlations = yes_no_predictions(warehouse, features, history, models, start, end, config.min_ev)
    predictions = pd.concat([baseline, *(p for p in (ml, yes_no_part) if len(p))], ignore_index=True)
    predictions["game_date"] = predictions["game_date"].dt.date
    warehouse.replace_window(*tables.MARKET_PROP_PREDICTIONS, predictions, COLUMN_TYPES, start, end)
    picks = predictions[predictions["recommendation"] != "PASS"]
    by_market = predictions.groupby(["market", "system_id"]).agg(rows=("line", "size"), with_p=("p_over", "count"))
    return MaterializeResult(
        metadata={
            **window_metadata(
                context, rows_by_date(predictions), preview_metadata(picks.sort_values("ev", ascending=False))
            ),
            "rows_by_market": MetadataValue.md(
                "\n".join(
                    ["| market | system | rows | with probabilities |", "|---|---|---:|---:|"]
                    + [f"| {m} | {s} | {r.rows} | {r.with_p} |" for (m, s), r in by_market.iterrows()]
                )
            ),
            "without_probabilities": int(predictions["p_over"].isna().sum()),
            "yes_no_correlations": MetadataValue.md(correlation_summary(correlations)),
            "positive_ev_sides": len(picks),
            "min_ev": config.min_ev,
        }
    )
