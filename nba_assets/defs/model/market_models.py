"""Market models: the walk-forward ML system `ml_market_v1`, one model per market and week.

Partition D is the set of models D's market predictions use: the models of D's week (weeks start on
Monday), fitted once per week on player_market_features rows with a known outcome (the player played,
player_game_summary) from the 52 weeks strictly before the Monday, never from the week itself (the
blocking check `market_training_before_week` names any row that is). One artifact per week holds the
seven markets' models, `models/market_models/<week>.pkl`, with its fit record `<week>.json`; the
week-of, which weeks a run fits, reuse (same rows and code: kept), worker-pool and leakage-guard
machinery is weekly.py's.

Its dependencies on the features and the game summaries are identity mappings (models D <- features
D), not "the 52 weeks before": a mapping with negative offsets would make every backfill of features
A..B reach the models of later dates (Dagster walks downstream through the mapping), retraining and
re-predicting dates outside the range. In a run over A..B the features of A..B are built before the
model step, so the rows the models read (before each Monday) are current; rows before A are history
the run does not touch. Which weeks a run fits: weekly.weeks_to_fit.

What a market's model is, in three parts, each learned only from rows before the Monday:
1. The mean: a Poisson GLM (log link) of the market's stat on the logs of the player's averages
   (last 5, last 10, season), his per-minute rate and minutes over 10 games, his spread, what the
   opponent allowed over 10 games, rest and home. Why a GLM and not gradient boosting: a count's
   mean is a product (rate x minutes x matchup), which is linear in these logs; with a dozen
   coefficients it cannot overfit 25,000 noisy rows, trains in ~10 ms (Newton; a HistGradientBoosting
   fit costs ~0.15 s: a season is 48 distinct weeks x 7 markets x 2 fits, ~100 s of CPU against
   the replay's 75 s budget), and its artifact is a few numbers (prediction needs no scikit-learn).
   The line is NOT a feature: it exists for one market of the 2024-25 season only, so a model
   fitted mostly on rows without it could not learn what it is worth. What the line knows enters
   through parts 2 and 3, learned where lines exist.
2. The predictive distribution around that mean, fitted on the model's OWN out-of-sample results:
   the last 14 game dates before the Monday are held out, a probe model fitted on the rows before
   them predicts them, and on the holdout's rotation players (minutes L10 >= 15) the same family as
   the baseline's is fitted (probability.py): negative-binomial dispersion for counts, scaled
   residuals for points and PRA. The final model is then refitted on all rows.
3. How far to trust itself against the market, learned on the same holdout rows that have a line
   (nothing of the week or later):
   - the mean: predicted value = line + w * (model - line), w in [0, 1] minimizing MAE;
   - the probability: a logistic stacking P(over | no push) = sigmoid(a + b * logit(model's
     P(over | no push)) + c * logit(market's de-vigged P(over))). A model that knows nothing the
     line does not gets b ~ 0 and c ~ 1 (it becomes the market); calibration is part of the fit.
   With fewer than MIN_LINE_ROWS holdout rows with a line (the first week of a season in markets
   whose lines start that season), the system has no evidence of its worth against the market and
   defers to it: w = 0 and P(over | no push) = the market's. P(push) is the distribution's at the
   predicted value; P(over) and P(under) share the rest.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from pydantic import Field

from nba_assets.defs.model import weekly
from nba_assets.lib import probability as prob
from nba_assets.lib import tables
from nba_assets.lib.asset_defaults import partitioned
from nba_assets.lib.markets import BY_KEY, MODEL_MARKET_KEYS, actual_values
from nba_assets.lib.partition_metadata import add_partition_metadata
from nba_assets.lib.window import window_dates
from resources.interfaces import ObjectStore, Warehouse

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

SYSTEM = "ml_market_v1"
ARTIFACTS = weekly.WeeklyArtifacts("models/market_models")
VALIDATION_DAYS = 14
MIN_TRAINING_ROWS = 500  # complete rows of a market, else no model for it that week
MIN_DISTRIBUTION_ROWS = 200  # holdout rows of rotation players to fit the distribution
MIN_LINE_ROWS = 150  # holdout rows with a line and prices to learn trust in the market
ROTATION_MINUTES = 15.0
STAT_COLUMNS = (
    "stat_avg_last_5",
    "stat_avg_last_10",
    "stat_avg_season",
    "stat_per_minute_last_10",
    "minutes_avg_last_10",
    "stat_std_last_10",
    "opponent_allowed_last_10",
)
# Without these a player has no usable history in the market: no prediction (counted, not guessed).
REQUIRED = ("stat_avg_last_10", "stat_avg_season", "minutes_avg_last_10")
# What training reads of a feature row (the names, teams and ids are not needed).
TRAINING_COLUMNS = (
    "game_date",
    "player_lookup",
    "market",
    *STAT_COLUMNS,
    "days_rest",
    "home_away",
    "consensus_line",
    "over_odds",
    "under_odds",
)
OUTCOME_COLUMNS = ("points", "rebounds", "assists", "fg3m", "steals", "blocks")


# --- features -----------------------------------------------------------------------------------


def complete(rows: "pd.DataFrame") -> "pd.Series":
    return rows[list(REQUIRED)].notna().all(axis=1)


def design(rows: "pd.DataFrame") -> "np.ndarray":
    """The GLM's inputs: logs of the stat columns (a missing one is 0 with an indicator), rest
    (0-4 days; a back-to-back is 0) and home."""
    import numpy as np

    columns = []
    for column in STAT_COLUMNS:
        values = rows[column].astype(float).to_numpy()
        columns.append(np.log1p(np.nan_to_num(np.maximum(values, 0.0), nan=0.0)))
        if column in ("opponent_allowed_last_10", "stat_std_last_10"):
            columns.append(np.isnan(values).astype(float))
    rest = rows["days_rest"].astype(float).to_numpy()
    columns.append(np.clip(np.nan_to_num(rest, nan=4.0), 0, 4))
    columns.append((rows["home_away"] == "HOME").to_numpy(float))
    return np.column_stack(columns)


def _logit(p) -> "np.ndarray":
    import numpy as np

    p = np.clip(np.asarray(p, dtype=float), 1e-4, 1 - 1e-4)
    return np.log(p / (1 - p))


# --- the model of one market ----------------------------------------------------------------------


@dataclass
class MarketModel:
    """One market's model of one week: the GLM's coefficients (on standardized inputs), the
    distribution around its mean, and the learned trust in the market (see the module docstring)."""

    market: str
    center: "np.ndarray"
    scale: "np.ndarray"
    coef: "np.ndarray"
    intercept: float
    line_weight: float = 0.0
    dispersion: float | None = None  # negative binomial size (inf: Poisson)
    residuals: "np.ndarray | None" = None  # scaled residuals (points, PRA)
    stacking: tuple[float, float, float] | None = None  # (a, b, c), see the module docstring
    figures: dict = field(default_factory=dict)

    def mean(self, rows: "pd.DataFrame") -> "np.ndarray":
        import numpy as np

        return np.exp(self.intercept + ((design(rows) - self.center) / self.scale) @ self.coef)

    @property
    def has_distribution(self) -> bool:
        return self.dispersion is not None or self.residuals is not None

    def probabilities(self, mean, line):
        """(p_over, p_under, p_push) of `line` around `mean` under the fitted distribution."""
        if BY_KEY[self.market].distribution == "negative_binomial":
            return prob.negative_binomial_probabilities(mean, line, self.dispersion)
        return prob.residual_probabilities(mean, line, self.residuals)

    def spread(self) -> float | None:
        """The dispersion column of the predictions: NB size, or the residuals' std."""
        if self.dispersion is not None:
            return float(self.dispersion)
        return None if self.residuals is None else float(self.residuals.std())

    def predict(self, rows: "pd.DataFrame") -> "pd.DataFrame":
        """For rows with a line (and complete features): predicted_value, p_over, p_under, p_push."""
        import numpy as np
        import pandas as pd

        raw = self.mean(rows)
        line = rows["consensus_line"].astype(float).to_numpy()
        predicted = line + self.line_weight * (raw - line)
        out = pd.DataFrame(
            {"predicted_value": predicted, "p_over": np.nan, "p_under": np.nan, "p_push": np.nan}, index=rows.index
        )
        if not self.has_distribution:
            return out
        model_over, model_under, _ = self.probabilities(raw, line)
        _, _, p_push = self.probabilities(predicted, line)
        market = prob.devig_over(rows["over_odds"], rows["under_odds"])
        q = self.combined(prob.conditional_over(model_over, model_under), market)
        out["p_over"], out["p_under"], out["p_push"] = (1 - p_push) * q, (1 - p_push) * (1 - q), p_push
        return out

    def combined(self, model_p, market_p) -> "np.ndarray":
        """P(over | no push): the stacking where the market's price exists; without a learned
        stacking the market's own; without a price the model's (no pick is made there)."""
        import numpy as np

        has_market = ~np.isnan(market_p)
        if self.stacking is None:
            q = np.where(has_market, market_p, model_p)
        else:
            a, b, c = self.stacking
            stacked = 1 / (1 + np.exp(-(a + b * _logit(model_p) + c * _logit(np.where(has_market, market_p, 0.5)))))
            q = np.where(has_market, stacked, model_p)
        return np.clip(q, prob.PROBABILITY_FLOOR, 1 - prob.PROBABILITY_FLOOR)


@dataclass
class TrainingArrays:
    """Training rows as arrays, the design matrix computed once for all of them: a season's run
    fits ~50 distinct weeks x 7 markets x 2 GLMs on overlapping rows, each a slice of these."""

    x: "np.ndarray"
    day: "np.ndarray"
    market: "np.ndarray"  # index in MODEL_MARKET_KEYS
    complete: "np.ndarray"
    actual: "np.ndarray"
    minutes: "np.ndarray"
    line: "np.ndarray"
    over_odds: "np.ndarray"
    under_odds: "np.ndarray"

    @classmethod
    def of(cls, rows: "pd.DataFrame") -> "TrainingArrays":
        import numpy as np

        codes = {market: i for i, market in enumerate(MODEL_MARKET_KEYS)}
        as_float = lambda column: rows[column].astype(float).to_numpy()  # noqa: E731
        return cls(
            x=design(rows),
            day=weekly.as_days(rows["game_date"]),
            market=rows["market"].map(codes).to_numpy(np.int64),
            complete=complete(rows).to_numpy(bool),
            actual=as_float("actual_value"),
            minutes=as_float("minutes_avg_last_10"),
            line=as_float("consensus_line"),
            over_odds=as_float("over_odds"),
            under_odds=as_float("under_odds"),
        )

    def take(self, index) -> "TrainingArrays":
        return TrainingArrays(**{name: getattr(self, name)[index] for name in self.__dataclass_fields__})

    def __len__(self) -> int:
        return len(self.actual)


def _fit_glm(x: "np.ndarray", actual: "np.ndarray", market: str) -> MarketModel:
    import numpy as np
    from sklearn.linear_model import PoissonRegressor

    center, scale = x.mean(axis=0), x.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    glm = PoissonRegressor(alpha=1e-4, solver="newton-cholesky", max_iter=100).fit((x - center) / scale, actual)
    return MarketModel(market, center, scale, glm.coef_.copy(), float(glm.intercept_))


def line_weight(raw, line, actual) -> float:
    """The weight in [0, 1] (steps of 0.05) minimizing MAE of line + w * (model - line)."""
    import numpy as np

    grid = np.linspace(0, 1, 21)
    errors = [np.mean(np.abs(line + w * (raw - line) - actual)) for w in grid]
    return float(grid[int(np.argmin(errors))])


def fit_stacking(model: MarketModel, raw, rows: TrainingArrays) -> tuple[float, float, float] | None:
    """(a, b, c) of the logistic stacking on holdout rows with a line, prices and no push."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    market = prob.devig_over(rows.over_odds, rows.under_odds)
    usable = (rows.actual != rows.line) & ~np.isnan(market)
    if usable.sum() < MIN_LINE_ROWS:
        return None
    line, actual = rows.line[usable], rows.actual[usable]
    over, under, _ = model.probabilities(raw[usable], line)
    x = np.column_stack([_logit(prob.conditional_over(over, under)), _logit(market[usable])])
    y = (actual > line).astype(int)
    if len(np.unique(y)) < 2:
        return None
    fit = LogisticRegression(C=1.0, solver="newton-cholesky").fit(x, y)
    return float(fit.intercept_[0]), float(fit.coef_[0][0]), float(fit.coef_[0][1])


def train_market(rows: TrainingArrays, market: str) -> MarketModel | None:
    """One market's model from its training rows; None when fewer than MIN_TRAINING_ROWS complete
    ones. The last 14 game dates (a quarter when fewer than 56) are the holdout."""
    import numpy as np

    rows = rows.take(rows.complete)
    if len(rows) < MIN_TRAINING_ROWS:
        return None
    distinct = np.unique(rows.day)
    cutoff = distinct[-min(VALIDATION_DAYS, max(1, len(distinct) // 4))]
    fit, holdout = rows.take(rows.day < cutoff), rows.take(rows.day >= cutoff)
    model = _fit_glm(rows.x, rows.actual, market)
    figures = {"training_rows": len(rows), "validation_rows": len(holdout)}
    if len(fit) >= MIN_TRAINING_ROWS // 2 and len(holdout):
        probe = _fit_glm(fit.x, fit.actual, market)
        raw = np.exp(probe.intercept + ((holdout.x - probe.center) / probe.scale) @ probe.coef)
        actual = holdout.actual
        figures["validation_mae"] = float(np.mean(np.abs(raw - actual)))
        rotation = holdout.minutes >= ROTATION_MINUTES
        if rotation.sum() >= MIN_DISTRIBUTION_ROWS:
            if BY_KEY[market].distribution == "negative_binomial":
                model.dispersion = probe.dispersion = prob.fit_negative_binomial_size(raw[rotation], actual[rotation])
            else:
                model.residuals = probe.residuals = np.sort(prob.scaled_residuals(raw[rotation], actual[rotation]))
        with_line = ~np.isnan(holdout.line)
        figures["validation_line_rows"] = int(with_line.sum())
        if with_line.sum() >= MIN_LINE_ROWS:
            lined = holdout.take(with_line)
            model.line_weight = line_weight(raw[with_line], lined.line, lined.actual)
            if model.has_distribution:
                model.stacking = fit_stacking(probe, raw[with_line], lined)
    model.figures = {
        **figures,
        "line_weight": model.line_weight,
        "dispersion": model.spread(),
        "stacking": list(model.stacking) if model.stacking else None,
    }
    return model


def train_week(rows: TrainingArrays) -> "dict[str, MarketModel | None]":
    """Every market's model from one week's training rows (all markets, sorted by date)."""
    import numpy as np

    present = np.unique(rows.market)
    return {
        MODEL_MARKET_KEYS[code]: train_market(rows.take(rows.market == code), MODEL_MARKET_KEYS[code])
        for code in present
    }


def _fit_job(week: dt.date, bounds: tuple[int, int], rows: TrainingArrays):
    """One week's job for the worker pool: its rows are a slice of the shared rows."""
    low, high = bounds
    return train_week(rows.take(slice(low, high)))


# --- training rows, keys, reuse ----------------------------------------------------------------------


def training_rows(
    warehouse: Warehouse, weeks: "list[dt.date]"
) -> "tuple[pd.DataFrame, dict[dt.date, tuple[int, int]]]":
    """(rows, {week: (low, high)}): feature rows of every market with the outcome (played games)
    from the 52 weeks before the first week to the last week's Monday (excluded), sorted by date,
    and each week's training rows as a slice of them (the 52 weeks before its Monday): one query
    for all the weeks, whose windows overlap."""
    import pandas as pd

    first = min(weeks) - dt.timedelta(weeks=weekly.TRAINING_WEEKS)
    columns = ", ".join(f"f.{column}" for column in TRAINING_COLUMNS)
    outcomes = ", ".join(f"g.{column}" for column in OUTCOME_COLUMNS)
    rows = warehouse.query(
        f"""
        SELECT {columns}, {outcomes}
        FROM {warehouse.relation(*tables.PLAYER_MARKET_FEATURES)} f
        JOIN {warehouse.relation(*tables.PLAYER_GAME_SUMMARY)} g
          ON g.game_date = f.game_date AND g.player_lookup = f.player_lookup
        WHERE g.played AND f.game_date >= ? AND f.game_date < ?
        ORDER BY f.game_date, f.market, f.player_lookup  -- same rows, same order: a reproducible fit
        """,
        [first, max(weeks)],
    )
    rows["actual_value"] = actual_values(rows)
    # As datetime64 once (DuckDB: already; BigQuery: dates): the weeks' fits slice and compare them.
    rows["game_date"] = pd.to_datetime(rows["game_date"])
    rows = rows.drop(columns=list(OUTCOME_COLUMNS))
    return rows, weekly.week_slices(weekly.as_days(rows["game_date"]), weeks)


def code_version() -> str:
    """The training code's version: this module, the probability code, scikit-learn's version."""
    return weekly.code_version(__file__, prob.__file__)


def fit_keys(rows: "pd.DataFrame", slices: "dict[dt.date, tuple[int, int]]") -> "dict[dt.date, str]":
    """Each week's fit key from one pass of row hashes over all the rows."""
    hashes = weekly.row_hashes(rows)
    code = code_version()
    return {
        week: weekly.fit_key(weekly.content_key(rows.columns, hashes[low:high]), code)
        for week, (low, high) in slices.items()
    }


FIT_TARGET = "nba_assets.defs.model.market_models:_fit_job"


def train_weeks(
    rows: "pd.DataFrame",
    slices: "dict[dt.date, tuple[int, int]]",
    keys: "dict[dt.date, str]",
    pool: "weekly.WorkerPool | None" = None,
) -> dict:
    """{week: {market: model}}; weeks with identical rows share one fit, many in worker processes
    (`pool`'s, when the caller started them ahead)."""
    same_as = weekly.distinct_jobs(keys)
    distinct = {week: slices[week] for week in set(same_as.values())}
    trained = weekly.run_jobs(FIT_TARGET, distinct, shared=TrainingArrays.of(rows), pool=pool)
    return {week: trained[same_as[week]] for week in slices}


def weeks_to_fit(store: ObjectStore, days: "list[dt.date]", retrain: bool = False) -> "list[dt.date]":
    """The weeks whose training rows the run reads (weekly.weeks_to_fit): all weeks of the run's
    dates but one that starts on or before the first date and already has an artifact."""
    return weekly.weeks_to_fit(lambda week: ARTIFACTS.exists(store, week), days, retrain)


def load_models(store: ObjectStore, week: dt.date) -> "dict[str, MarketModel | None] | None":
    return ARTIFACTS.load(store, week)


# --- the asset ---------------------------------------------------------------------------------------


class MarketModelsConfig(Config):
    retrain: bool = Field(
        default=False,
        description="Also check (and refit if its training rows or code changed) the models of a week "
        "that started on or before the run's first date and already has an artifact.",
    )


def _record(key: str, rows: "pd.DataFrame", models: dict) -> dict:
    return {
        "fit_key": key,
        "system_id": SYSTEM,
        "training_first_date": f"{rows['game_date'].min():%Y-%m-%d}" if len(rows) else None,
        "training_last_date": f"{rows['game_date'].max():%Y-%m-%d}" if len(rows) else None,
        "markets": {market: (model.figures if model else None) for market, model in models.items()},
    }


def _week_line(week: dt.date, record: dict, fit: str, uri: str | None) -> str:
    markets = record.get("markets") or {}
    weights = " ".join(
        f"{m}:{f['line_weight']:.2f}" + ("s" if f.get("stacking") else "") for m, f in markets.items() if f
    )
    dates = f"{record.get('training_first_date') or ''}..{record.get('training_last_date') or ''}"
    return f"| {week} | {dates} | {sum(1 for f in markets.values() if f)} | {weights} | {fit} | {uri or ''} |"


@asset(
    **partitioned("predictions", {"scikitlearn", "python"}),
    # Identity mappings (models D <- features D): see the module docstring.
    deps=["player_market_features", "player_game_summary"],
    check_specs=[
        AssetCheckSpec(
            "market_training_before_week",
            asset="market_models",
            blocking=True,
            description="No training row of any market is dated on or after the Monday of the week the models predict.",
        )
    ],
    description="The market models a date's ml_market_v1 predictions use: its week's Poisson GLM per "
    "market with its predictive distribution and learned trust in the line, fitted once per week on "
    "player_market_features rows of the 52 weeks strictly before the Monday; artifact at "
    "models/market_models/<week>.pkl.",
)
def market_models(
    context: AssetExecutionContext, config: MarketModelsConfig, warehouse: Warehouse, landing: ObjectStore
):
    days = window_dates(context)
    to_fit = weeks_to_fit(landing, days, config.retrain)
    # Many weeks: the workers start now and import while the rows are read, checked and hashed.
    with weekly.worker_pool(FIT_TARGET, len(to_fit)) as pool:
        rows, slices = training_rows(warehouse, to_fit) if to_fit else (None, {})
        # The guard first: nothing is trained or stored if any week's rows reach into the week.
        for week, (low, high) in slices.items():
            check = weekly.leak_check(
                "market_training_before_week", rows.iloc[low:high], week, label=("player_lookup", "market")
            )
            if not check.passed:
                yield check
                raise Failure(description=f"market_models {week}: {check.description}")

        eligible = {week: bounds for week, bounds in slices.items() if bounds[1] - bounds[0] >= MIN_TRAINING_ROWS}
        keys = fit_keys(rows, eligible) if eligible else {}
        reused = {
            week: record for week in eligible if (record := ARTIFACTS.reusable(landing, week, keys[week])) is not None
        }
        to_train = {week: bounds for week, bounds in eligible.items() if week not in reused}
        trained = train_weeks(rows, to_train, {week: keys[week] for week in to_train}, pool) if to_train else {}
    lines, by_week = [], {}
    for week in weekly.weeks_of(days):
        models = trained.get(week)
        if models is not None and any(models.values()):
            record = _record(keys[week], rows.iloc[slice(*eligible[week])], models)
            uri, fit = ARTIFACTS.save(landing, week, models, record), "trained"
        elif week in reused:
            record, uri, fit = reused[week], landing.uri(ARTIFACTS.model_key(week)), "kept (same rows and code)"
        elif week not in slices and ARTIFACTS.exists(landing, week):
            record, uri, fit = (
                ARTIFACTS.record(landing, week),
                landing.uri(ARTIFACTS.model_key(week)),
                "kept (week started before the run's dates)",
            )
        else:
            record, uri, fit = {}, None, f"no models: fewer than {MIN_TRAINING_ROWS} rows"
        lines.append(_week_line(week, record, fit, uri))
        by_week[week] = {"week": week.isoformat(), "fit": fit, **({"artifact": MetadataValue.url(uri)} if uri else {})}
    header = (
        "| week | training dates | markets | line weight (s: stacking learned) | fit | artifact |\n"
        "|---|---|---:|---|---|---|\n"
    )
    summary = {
        "weeks": MetadataValue.md(header + "\n".join(lines)),
        "weeks_fitted_now": len(trained),
        "weeks_kept": len(reused),
        "markets": MetadataValue.json(list(MODEL_MARKET_KEYS)),
    }
    keys_of_run = context.partition_keys
    if len(keys_of_run) == 1:
        yield MaterializeResult(metadata={**by_week[weekly.monday(days[0])], **summary})
    else:
        add_partition_metadata(
            context,
            {
                key: {**by_week[weekly.monday(day)], **(summary if key == keys_of_run[-1] else {})}
                for key, day in zip(keys_of_run, days)
            },
        )
        yield MaterializeResult()
    yield AssetCheckResult(
        check_name="market_training_before_week",
        passed=True,
        description=(
            "Every week fitted or checked in this run trained on rows dated before its Monday"
            + ("; weeks kept without reading were checked when fitted." if len(slices) < len(by_week) else ".")
        ),
    )
