"""The website's JSON files (`v1/`), as pydantic models: every export is validated before it is
written, and tests validate the written files. `json_schemas()` gives their JSON Schemas."""

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict

Recommendation = Literal["OVER", "UNDER", "PASS"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Prediction(Strict):
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


class PredictionsFile(Strict):
    schema_version: Literal["v1"] = "v1"
    game_date: dt.date
    predictions: list[Prediction]


class BestBet(Strict):
    rank: int
    tier: Literal["premium", "strong", "value"]
    player_lookup: str
    player_name: str | None
    team: str | None
    opponent: str | None
    system_id: str
    recommendation: Literal["OVER", "UNDER"]
    line: float
    predicted_points: float
    edge: float
    confidence: float | None


class BestBetsFile(Strict):
    schema_version: Literal["v1"] = "v1"
    game_date: dt.date
    picks: list[BestBet]


class GradedPick(BestBet):
    result: Literal["WIN", "LOSS", "PUSH", "VOID", "PENDING"]
    actual_points: int | None


class ResultsSummary(Strict):
    picks: int
    wins: int
    losses: int
    pushes: int
    voids: int
    pending: int
    hit_rate: float | None


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


class PerformanceFile(Strict):
    schema_version: Literal["v1"] = "v1"
    graded_dates: GradedDates
    same_rows: int
    line: LineMae
    systems: list[SystemPerformance]
    break_even_hit_rate: float


FILES = {
    "predictions/{date}.json": PredictionsFile,
    "best-bets/{date}.json": BestBetsFile,
    "results/{date}.json": ResultsFile,
    "systems/performance.json": PerformanceFile,
}


def json_schemas() -> dict[str, dict]:
    return {name: model.model_json_schema() for name, model in FILES.items()}
