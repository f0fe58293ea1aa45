"""The live source: the replay source's interface, fed by live HTTP APIs.

schedule and player box scores from balldontlie (`resources/sources/live/balldontlie.py`), player-prop lines
from The Odds API (`resources/sources/live/odds_api.py`), both through `resources/sources/live/http_client.py` (timeouts,
retries with backoff and jitter, Retry-After, redaction). Rows have exactly the columns of the raw
column contract (`source_columns` in nba_assets/lib/raw_tables.py), as the replay source's do, and
pass the same pandera validation, so the raw assets land and load them unchanged.

The two API keys are resource fields set from the environment with `dagster.EnvVar`
(`live_source_from_env()`): never in code, never in metadata (`describe()` names only the hosts).
The base URLs are config too (NBA_BALLDONTLIE_URL, NBA_ODDS_API_URL; the real APIs by default), so
the same code runs against the local stand-ins (resources/sources/standin/). The clock deciding
which games have started is the operations clock (nba_assets/lib/clock.py: NBA_REPLAY_NOW when set).

Markets, regions, the daily credit budget and the pacing are config with defaults: every market the
platform predicts, double/triple-double included (`DEFAULT_ODDS_MARKETS`), one region, and the APIs'
published rate limits (docs/live-sources.md gives their sources).
This module is imported by the code location: httpx, tenacity and pandas are imported only when a
date is fetched.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from dagster import EnvVar
from pydantic import Field, PrivateAttr

from nba_assets.lib import clock
from nba_assets.lib.markets import PRICED_MARKETS
from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, PROP_LINES, SCHEDULE
from resources.sources.base import NbaSource, SourcePayload

if TYPE_CHECKING:
    import pandas as pd

    from resources.sources.live.http_client import JsonHttpClient


BALLDONTLIE_URL = "https://api.balldontlie.io"
ODDS_API_URL = "https://api.the-odds-api.com"
# The Odds API's player-prop market keys: the nine markets predicted (nba_assets/lib/markets.py),
# the seven over/under ones then double/triple-double.
DEFAULT_ODDS_MARKETS = ",".join(m.raw_market for m in PRICED_MARKETS)
# balldontlie: ALL-STAR, the cheapest tier serving /v1/stats, allows 60 requests a minute (GOAT 600,
# free 5 without stats). The Odds API: 30 requests a second on paid plans.
BALLDONTLIE_REQUESTS_PER_MINUTE = 60.0
ODDS_API_REQUESTS_PER_MINUTE = 30.0 * 60


def _utc_now() -> dt.datetime:
    """The operations clock (NBA_REPLAY_NOW when set, else the wall clock), in UTC."""
    return clock.now().astimezone(dt.UTC)


def _clock_from(url: str, timeout: float) -> dt.datetime:
    """Now, as the clock at `url` tells it (a stand-in's `/_standin/clock`: {"now_utc": ISO})."""
    import httpx

    from resources.sources.errors import SourceError

    try:
        value = httpx.get(url, timeout=timeout).raise_for_status().json()["now_utc"]
        return dt.datetime.fromisoformat(value).astimezone(dt.UTC)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as err:
        raise SourceError(f"GET {url} (NBA_LIVE_CLOCK_URL) did not tell the time: {err}") from None


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


class LiveSource(NbaSource):
    """Serves a date's schedule, box scores (balldontlie) and prop lines (The Odds API) live."""

    balldontlie_api_key: str = Field(description="balldontlie API key: EnvVar('BALLDONTLIE_API_KEY').")
    odds_api_key: str = Field(description="The Odds API key: EnvVar('ODDS_API_KEY').")
    balldontlie_base_url: str = Field(
        default=BALLDONTLIE_URL, description="NBA_BALLDONTLIE_URL; a stand-in's URL in staging."
    )
    odds_api_base_url: str = Field(default=ODDS_API_URL, description="NBA_ODDS_API_URL; a stand-in's URL in staging.")
    timeout_seconds: float = Field(default=20.0, description="Connect/read/write/pool timeout per request.")
    max_attempts: int = Field(
        default=5, ge=1, description="Attempts per request (429, 5xx, timeouts, transport errors)."
    )
    backoff_initial_seconds: float = Field(default=1.0, ge=0, description="Wait before the 2nd attempt; doubles.")
    backoff_max_seconds: float = Field(default=30.0, ge=0)
    jitter_seconds: float = Field(default=1.0, ge=0, description="Random extra wait, so clients do not retry in step.")
    max_retry_after_seconds: float = Field(default=60.0, ge=0, description="Cap on a server's Retry-After.")
    max_pages: int = Field(default=50, ge=1, description="balldontlie pages per request (100 rows each).")
    odds_regions: str = Field(
        default="us", description="The Odds API regions, comma-separated (each multiplies the cost)."
    )
    odds_markets: str = Field(
        default=DEFAULT_ODDS_MARKETS,
        description="The Odds API player-prop market keys, comma-separated; one request per event asks for all.",
    )
    clock_url: str | None = Field(
        default=None,
        description="NBA_LIVE_CLOCK_URL: take now from this URL (a stand-in's /_standin/clock) instead "
        "of the operations clock, so every process of a staging layout follows the simulated time.",
    )
    odds_daily_credit_budget: int | None = Field(
        default=1000,
        ge=0,
        description="Credits the prop-line fetches of one game date may spend (all runs of that date); "
        "a fetch whose estimate (events x markets x regions) would exceed it is refused before any "
        "billed request. None: no budget.",
    )
    balldontlie_requests_per_minute: float = Field(
        default=BALLDONTLIE_REQUESTS_PER_MINUTE, gt=0, description="balldontlie pacing (ALL-STAR tier: 60)."
    )
    odds_api_requests_per_minute: float = Field(
        default=ODDS_API_REQUESTS_PER_MINUTE, gt=0, description="The Odds API pacing (30 a second)."
    )

    # Injected by tests (a recording sleep, a fixed clock); real time when None. (A function as the
    # default would be bound as a method by pydantic.)
    _sleep: Callable[[float], None] | None = PrivateAttr(default=None)
    _now: Callable[[], dt.datetime] | None = PrivateAttr(default=None)
    _pace_sleep: Callable[[float], None] | None = PrivateAttr(default=None)  # the pacer's waits
    _pace_clock: Callable[[], float] | None = PrivateAttr(default=None)
    # Credits spent per game date by earlier runs (the raw asset reads them from the instance), and
    # what this run spent (shown as the raw asset's metadata).
    _credits_before: dict = PrivateAttr(default_factory=dict)
    _usage: dict = PrivateAttr(default_factory=dict)

    def describe(self) -> str:
        return (
            f"live: balldontlie {self.balldontlie_base_url} (schedule, box scores), The Odds API "
            f"{self.odds_api_base_url} ({len(_csv(self.odds_markets))} markets, regions {self.odds_regions})"
        )

    @contextmanager
    def credit_ledger(self, spent_by_date: dict[dt.date, int]) -> Iterator[None]:
        self._credits_before, self._usage = dict(spent_by_date), {}
        try:
            yield
        finally:
            self._credits_before = {}

    def usage_metadata(self) -> dict:
        return dict(self._usage)

    def _http(self, base_url: str, key: str, env_var: str, per_minute: float, **kwargs) -> JsonHttpClient:
        from resources.sources.errors import SourceError
        from resources.sources.live.http_client import JsonHttpClient, RetryPolicy
        from resources.sources.live.pacing import Pacer

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
            pacer=Pacer(per_minute, sleep=self._pace_sleep or time.sleep, clock=self._pace_clock or time.monotonic),
            **kwargs,
        )

    def _balldontlie(self):
        from resources.sources.live.balldontlie import BalldontlieSource

        http = self._http(
            self.balldontlie_base_url,
            self.balldontlie_api_key,
            "BALLDONTLIE_API_KEY",
            self.balldontlie_requests_per_minute,
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
        from resources.sources.errors import SourceError
        from resources.sources.live.odds_api import OddsApiSource

        markets, regions = _csv(self.odds_markets), _csv(self.odds_regions)
        if not markets or not regions:
            raise SourceError(
                f"odds_markets {self.odds_markets!r} and odds_regions {self.odds_regions!r} must name one or more"
            )
        http = self._http(
            self.odds_api_base_url,
            self.odds_api_key,
            "ODDS_API_KEY",
            self.odds_api_requests_per_minute,
            params={"apiKey": self.odds_api_key},
        )
        source = OddsApiSource(
            http=http,
            regions=regions,
            markets=markets,
            now=self._clock(),
            daily_credit_budget=self.odds_daily_credit_budget,
            credits_spent_before=int(self._credits_before.get(game_date, 0)),
        )
        try:
            with source.http:
                rows = source.prop_lines(game_date)
        finally:
            self._add_usage(source, http)
        return SourcePayload(_frame(rows, PROP_LINES.source_columns), source.notes)

    def _clock(self) -> Callable[[], dt.datetime]:
        if self._now is not None:
            return self._now
        if self.clock_url:
            return functools.partial(_clock_from, self.clock_url, self.timeout_seconds)
        return _utc_now

    def _add_usage(self, source, http) -> None:
        """Accumulates this run's Odds API use over its dates (the raw asset's metadata)."""
        usage = self._usage
        usage["odds_api_credits_spent"] = usage.get("odds_api_credits_spent", 0) + source.credits.spent
        usage["odds_api_credits_estimate"] = usage.get("odds_api_credits_estimate", 0) + source.credits.estimate
        usage["odds_api_event_requests"] = usage.get("odds_api_event_requests", 0) + source.credits.event_requests
        usage["odds_api_http_attempts"] = usage.get("odds_api_http_attempts", 0) + http.attempts
        if source.credits.remaining is not None:
            usage["odds_api_credits_remaining"] = source.credits.remaining
        if source.credits.used is not None:
            usage["odds_api_credits_used_this_period"] = source.credits.used
        if self.odds_daily_credit_budget is not None:
            usage["odds_api_daily_credit_budget"] = self.odds_daily_credit_budget


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(rows, columns=columns) if rows else pd.DataFrame(columns=columns)


def live_source_from_env() -> LiveSource:
    """The production live source: both keys from the environment, resolved when the run starts;
    the base URLs from NBA_BALLDONTLIE_URL / NBA_ODDS_API_URL (the real APIs when unset), the clock
    from NBA_LIVE_CLOCK_URL when set (staging), and the
    daily credit budget from NBA_ODDS_DAILY_CREDIT_BUDGET (default 1000)."""
    budget = os.environ.get("NBA_ODDS_DAILY_CREDIT_BUDGET")
    return LiveSource(
        balldontlie_api_key=EnvVar("BALLDONTLIE_API_KEY"),
        odds_api_key=EnvVar("ODDS_API_KEY"),
        balldontlie_base_url=os.environ.get("NBA_BALLDONTLIE_URL") or BALLDONTLIE_URL,
        odds_api_base_url=os.environ.get("NBA_ODDS_API_URL") or ODDS_API_URL,
        clock_url=os.environ.get("NBA_LIVE_CLOCK_URL") or None,
        **({"odds_daily_credit_budget": int(budget)} if budget else {}),
    )
