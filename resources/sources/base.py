"""The interface every NBA data source serves (the replay archive, the live HTTP APIs).

The raw assets depend on this class, not on one source: NBA_ENV / NBA_SOURCE pick the
implementation (resources/environments.py). Each method answers for one US-Eastern game date with
exactly the columns of the raw tables (nba_assets/lib/raw_tables.py) and raises SourceError, naming the
file or request, when it cannot.
"""

import datetime as dt
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dagster import ConfigurableResource

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class SourcePayload:
    """What a source returned for one date, plus notes a user should see in the UI."""

    rows: "pd.DataFrame"
    notes: list[str]


class NbaSource(ConfigurableResource):
    def describe(self) -> str:
        raise NotImplementedError

    def window(self) -> AbstractContextManager:
        """Held while a run fetches its window of dates: a source may answer every date of it from
        one version of its data (the replay pins its archive). Live sources need nothing."""
        return nullcontext()

    def credit_ledger(self, spent_by_date: "dict[dt.date, int]") -> AbstractContextManager:
        """Held while a run fetches prop lines: what earlier runs spent of a paid API's credits per
        game date, for a source that budgets them (the live odds source). Others need nothing."""
        return nullcontext()

    def usage_metadata(self) -> dict:
        """What the last fetch spent of a paid API (credits, requests), as asset metadata."""
        return {}

    def schedule(self, game_date: dt.date) -> "SourcePayload":
        raise NotImplementedError

    def player_boxscores(self, game_date: dt.date) -> "SourcePayload":
        raise NotImplementedError

    def prop_lines(self, game_date: dt.date) -> "SourcePayload":
        raise NotImplementedError
