"""The live source: the replay source's interface, fed by live HTTP APIs.

schedule and player box scores from balldontlie (`resources/sources/live/balldontlie.py`), player-prop lines
from The Odds API (`resources/sources/live/odds_api.py`), both through `resources/sources/live/http_client.py` (timeouts,
retries with backoff and jitter, Retry-After, redaction). Rows have exactly the columns of the raw
column contract (`source_columns` in nba_assets/lib/raw_tables.py), as the replay source's do, and
pass the same pandera validation, so the raw assets land and load them unchanged.

The two API keys are resource fields set from the environment with `dagster.EnvVar`
(`live_source_from_env()`): never in code, never in metadata (`describe()` names only the hosts).
This module is imported by the code location: httpx, tenacity and pandas are imported only when a
date is fetched.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from dagster import EnvVar
from pydantic import Field, PrivateAttr

from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, PROP_LINES, SCHEDULE
from resources.sources.base import NbaSource, SourcePayload

if TYPE_CHECKING:
    import pandas as pd

    from resources.sources.live.http_client import JsonHttpClient


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class LiveSource(NbaSource):
    """Serves a date's schedule, box scores (balldontlie) and prop lines (The Odds API) live."""

    balldontlie_api_key: str = Field(description="balldontlie API key: EnvVar('BALLDONTLIE_API_KEY').")
    odds_api_key: str = Field(description="The Odds API key: EnvVar('ODDS_API_KEY').")
    balldontlie_base_url: str = "https://api.balldontlie.io"
    odds_api_base_url: str = "https://api.the-odds-api.com"
    timeout_seconds: float = Field(default=20.0, description="Connect/read/write/pool timeout per request.")
    max_attempts: int = Field(
        default=5, ge=1, description="Attempts per request (429, 5xx, timeouts, transport errors)."
    )
    backoff_initial_seconds: float = Field(default=1.0, ge=0, description="Wait before the 2nd attempt; doubles.")
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    jitter_seconds: float = Field(default=1.0, ge=0, description="Random extra wait, so clients do not retry in step.")
    max_retry_after_seconds: float = Field(default=60.0, ge=0, description="Cap on a server's Retry-After.")
    max_pages: int = Field(default=50, ge=1, description="balldontlie pages per request (100 rows each).")
    odds_regions: str = "us"
    odds_markets: str = "player_points"

    # Injected by tests (a recording sleep, a fixed clock); real time when None. (A function as the
    # default would be bound as a method by pydantic.)
    _sleep: Callable[[float], None] | None = PrivateAttr(default=None)
    _now: Callable[[], dt.datetime] | None = PrivateAttr(default=None)

    def describe(self) -> str:
        return (
            f"live: balldontlie {self.balldontlie_base_url} (schedule, box scores), The Odds API "
            f"{self.odds_api_base_url} ({self.odds_markets}, regions {self.odds_regions})"
        )

    def _http(self, base_url: str, key: str, env_var: str, **kwargs) -> JsonHttpClient:
        from resources.sources.errors import SourceError
        from resources.sources.live.http_client import JsonHttpClient, RetryPolicy

        if not key or not key.strip():
            raise SourceError(f"{env_var} is empty: set it in the environment of the code location")
        policy = RetryPolicy(
            max_attempts=self.max_attempts,
            backoff_initial=self.backoff_initial_seconds,
            backoff_max=self.backoff_max_seconds,
            jitter=self.jitter_seconds,
            max_retry_after=self.max_retry_after_seconds,
        )
        return JsonHttpClient(
            base_url=base_url,
            timeout_seconds=self.timeout_seconds,
            secrets=(key,),
            policy=policy,
            sleep=self._sleep or time.sleep,
            **kwargs,
        )

    def _balldontlie(self):
        from resources.sources.live.balldontlie import BalldontlieSource

        http = self._http(
            self.balldontlie_base_url,
            self.balldontlie_api_key,
            "BALLDONTLIE_API_KEY",
            headers={"Authorization": self.balldontlie_api_key},
        )
        return BalldontlieSource(http=http, max_pages=self.max_pages)

    def schedule(self, game_date: dt.date) -> SourcePayload:
        source = self._balldontlie()
        with source.http:
            games = source.games(game_date)
        return SourcePayload(_frame([g.row for g in games], SCHEDULE.source_columns), source.notes)

    def player_boxscores(self, game_date: dt.date) -> SourcePayload:
        source = self._balldontlie()
        with source.http:
            rows = source.boxscore_rows(game_date, source.games(game_date))
        return SourcePayload(_frame(rows, PLAYER_BOXSCORES.source_columns), source.notes)

    def prop_lines(self, game_date: dt.date) -> SourcePayload:
        from resources.sources.live.odds_api import OddsApiSource

        http = self._http(
            self.odds_api_base_url, self.odds_api_key, "ODDS_API_KEY", params={"apiKey": self.odds_api_key}
        )
        source = OddsApiSource(
            http=http, regions=self.odds_regions, markets=self.odds_markets, now=self._now or _utc_now
        )
        with source.http:
            rows = source.prop_lines(game_date)
        return SourcePayload(_frame(rows, PROP_LINES.source_columns), source.notes)


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def live_source_from_env() -> LiveSource:
    """The production live source: both keys from the environment, resolved when the run starts."""
    return LiveSource(balldontlie_api_key=EnvVar("BALLDONTLIE_API_KEY"), odds_api_key=EnvVar("ODDS_API_KEY"))
