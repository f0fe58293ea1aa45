"""The website's JSON files (`v1/`), as pydantic models: every export is validated before it is
written, and tests validate the written files. `json_schemas()` gives their JSON Schemas.

Issue 13 added fields (v1 keeps its name: every earlier field is still there with its meaning,
`predicted_points` is null outside the points market): `market`, `predicted_value` (in the
market's unit), `p_over`, `p_under`, `p_push`, `market_p_over` (de-vigged), `price` (American odds
of the pick's side), `ev` (expected profit per unit staked), `stake` (fraction of the bankroll);
best-bets files gain the gate (`systems`) and `no_picks_reason`; results gain the actual value of
the market and the day's stakes and profit; performance gains `markets`."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

Recommendation = Literal["OVER", "UNDER", "PASS"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# Issue 22 added the yes/no markets as rows (their `line` is 0.5 of a 0/1 stat: OVER = Yes,
# UNDER = No; `predicted_value` is P(yes)): docs/markets.md.
Market = Literal["points", "rebounds", "assists", "threes", "pra", "steals", "blocks", "double_double", "triple_double"]


class Probabilities(Strict):
    market: Market
    predicted_value: float | None
    p_over: float | None
    p_under: float | None
    p_push: float | None
    price: float | None
    ev: float | None
    stake: float | None


class Prediction(Probabilities):
    player_lookup: str
    player_name: str | None
    team: str | None
    opponent: str | None
    system_id: str
    predicted_points: float | None
    line: float | None
    edge: float | None
    recommendation: Recommendation
    confidence: float | None
    market_p_over: float | None


class PredictionsFile(Strict):
    schema_version: Literal["v1"] = "v1"
    game_date: dt.date
    predictions: list[Prediction]


class BestBet(Probabilities):
    """A published pick. Issue 22: `price` is the best unsuspected book's (`book`) at the line
    taken (`line`: the consensus line or a better one), `ev` and `stake` at the system's
    probability shrunk toward the market's (docs/gate.md); `consensus_line`/`consensus_price`/
    `consensus_ev`: the same side at the books' average price, which no book offers."""

    rank: int
    book: str | None
    consensus_line: float | None
    consensus_price: float | None
    consensus_ev: float | None
    tier: Literal["premium", "strong", "value"]
    player_lookup: str
    player_name: str | None
    team: str | None
    opponent: str | None
    system_id: str
    recommendation: Literal["OVER", "UNDER"]
    line: float
    predicted_points: float | None
    edge: float
    confidence: float | None


class SystemGate(Strict):
    """A system's record in a market over its last graded dates before the day, and whether its
    picks are published (the gate: nba_assets/lib/gate.py, docs/gate.md). Issue 22: the status
    is the gate's (the Brier skill's interval against 0), `skill_low`/`skill_high` its interval."""

    system_id: str
    market: Market
    status: Literal["beyond_market", "at_market", "worse_than_market", "insufficient"]
    published: bool
    candidates: int
    scored_rows: int
    brier_skill: float | None
    skill_low: float | None
    skill_high: float | None
    coverage: float | None
    picks: int
    hit_rate: float | None
    hit_rate_low: float | None
    hit_rate_high: float | None
    break_even: float | None
    reason: str


class BestBetsFile(Strict):
    schema_version: Literal["v1"] = "v1"
    game_date: dt.date
    picks: list[BestBet]
    no_picks_reason: str | None
    systems: list[SystemGate]


class GradedPick(BestBet):
    result: Literal["WIN", "LOSS", "PUSH", "VOID", "PENDING"]
    actual_points: int | None
    actual_value: float | None


class ResultsSummary(Strict):
    picks: int
    wins: int
    losses: int
    pushes: int
    voids: int
    pending: int
    hit_rate: float | None
    staked: float
    profit: float


class ResultsFile(Strict):
    schema_version: Literal["v1"] = "v1"
    game_date: dt.date
    summary: ResultsSummary
    picks: list[GradedPick]


class Bucket(Strict):
    edge_min: float
    edge_max: float | None
    bets: int
    wins: int
    losses: int
    pushes: int
    hit_rate: float | None
    hit_rate_low: float | None
    hit_rate_high: float | None
    roi: float | None
    roi_at_default_odds: int


class SystemPerformance(Strict):
    system_id: str
    rows: int
    mae: float
    line_mae: float
    buckets: list[Bucket]


class GradedDates(Strict):
    first: dt.date | None
    last: dt.date | None
    count: int


class LineMae(Strict):
    mae: float | None


class PickRecord(Strict):
    bets: int
    wins: int
    losses: int
    pushes: int
    hit_rate: float | None
    hit_rate_interval: list[float | None]
    roi: float | None
    roi_interval: list[float | None]


class EvBucket(PickRecord):
    ev_min: float
    ev_max: float | None


class MarketPerformance(Strict):
    """A system in a market against the de-vigged market, on the same rows (market_backtest.py)."""

    market: Market
    system_id: str
    segment: str
    first_date: dt.date
    last_date: dt.date
    scored_rows: int
    dates: int
    brier: float | None
    log_loss: float | None
    market_brier: float | None
    market_log_loss: float | None
    brier_skill: float | None
    brier_skill_interval: list[float | None]
    calibration_slope: float | None
    calibration_intercept: float | None
    market_calibration_slope: float | None
    market_calibration_intercept: float | None
    mae: float | None
    line_mae: float | None
    picks: PickRecord
    ev_buckets: list[EvBucket]
    # Issue 22 (yes/no markets): the system against the outcome alone, on every row it priced with
    # or without a market price (the archive has no double/triple-double prices).
    outcome_rows: int | None = None
    outcome_brier: float | None = None
    outcome_log_loss: float | None = None
    outcome_rate: float | None = None
    outcome_mean_p: float | None = None


class PublishedSummary(Strict):
    """Published picks graded at their own line and side: W-L-P, voids, pending; hit rate and ROI
    per unit with date-clustered 95% intervals; staked and profit at the published stakes."""

    bets: int
    wins: int
    losses: int
    pushes: int
    voids: int
    pending: int
    hit_rate: float | None
    hit_rate_interval: list[float | None]
    roi: float | None
    roi_interval: list[float | None]
    staked: float
    profit: float
    return_on_stakes: float | None
    roi_at_consensus: float | None


class PublishedMarket(PublishedSummary):
    market: Market
    system_id: str


class PublishedDay(Strict):
    """The running record after a date: settled picks, hit rate, ROI per unit, profit."""

    game_date: dt.date
    picks_settled: int
    hit_rate: float | None
    roi: float | None
    profit: float


class PublishedPick(Strict):
    game_date: dt.date
    system_id: str
    market: Market
    player_lookup: str
    recommendation: Literal["OVER", "UNDER"]
    line: float
    book: str | None
    price: float
    consensus_line: float | None
    consensus_price: float | None
    stake: float
    result: Literal["WIN", "LOSS", "PUSH", "VOID", "PENDING"]
    profit: float


class PublishedRecord(Strict):
    """Issue 22: every pick the platform ever published and what following it won or lost."""

    overall: PublishedSummary
    by_market: list[PublishedMarket]
    running: list[PublishedDay]
    picks: list[PublishedPick]


class PerformanceFile(Strict):
    schema_version: Literal["v1"] = "v1"
    graded_dates: GradedDates
    same_rows: int
    line: LineMae
    systems: list[SystemPerformance]
    break_even_hit_rate: float
    markets: list[MarketPerformance] = []
    published: PublishedRecord | None = None


FILES = {
    "predictions/{date}.json": PredictionsFile,
    "best-bets/{date}.json": BestBetsFile,
    "results/{date}.json": ResultsFile,
    "systems/performance.json": PerformanceFile,
}


def json_schemas() -> dict[str, dict]:
    return {name: model.model_json_schema() for name, model in FILES.items()}
