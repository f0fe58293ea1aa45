"""The three raw tables: warehouse column types, keys and the pandera schemas that guard them.

This is the raw column contract, written once: the sources (resources/sources: replay archive, live
APIs) serve `source_columns`, the raw assets add the `derived` ones and load `column_types`, and
pandera checks every row against it. Column types are plain data (read when the code location
loads); pandera is imported only when a frame is validated, so loading the definitions stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from nba_assets.lib.tables import RAW

if TYPE_CHECKING:
    import pandas as pd

RAW_SCHEMA = RAW


@dataclass(frozen=True)
class RawTable:
    name: str
    column_types: dict[str, str]  # warehouse column -> SQL type
    key: tuple[str, ...]  # unique per row, checked before and after the load
    # A reload replaces only the window's rows with these values (None: the whole window).
    replace_only_matching: str | None = None
    # Columns the raw asset computes from the served ones (player_lookup: nba_assets/lib/identity.py),
    # so that every source normalizes names the same way; a source does not serve them.
    derived: tuple[str, ...] = ()

    @property
    def source_columns(self) -> list[str]:
        """The columns a source serves for this table, in the table's order."""
        return [name for name in self.column_types if name not in self.derived]


SCHEDULE = RawTable(
    name="schedule",
    column_types={
        "game_date": "DATE",
        "game_id": "VARCHAR",
        "season": "VARCHAR",
        "season_type": "VARCHAR",
        "home_team_abbr": "VARCHAR",
        "away_team_abbr": "VARCHAR",
        "home_points": "INTEGER",
        "away_points": "INTEGER",
        "source_file": "VARCHAR",
    },
    key=("game_id",),
)

# A box score's counting stats, in the table's order: every source maps its own names to these.
BOX_SCORE_COUNTS = (
    "points",
    "rebounds",
    "assists",
    "steals",
    "blocks",
    "turnovers",
    "fgm",
    "fga",
    "fg3m",
    "fg3a",
    "ftm",
    "fta",
)

PLAYER_BOXSCORES = RawTable(
    name="player_boxscores",
    column_types={
        "game_date": "DATE",
        "game_id": "VARCHAR",
        "player_id": "BIGINT",
        "player_name": "VARCHAR",
        "player_lookup": "VARCHAR",
        "team_abbr": "VARCHAR",
        "opponent_abbr": "VARCHAR",
        "home_away": "VARCHAR",
        "minutes": "DOUBLE",
        **dict.fromkeys(BOX_SCORE_COUNTS, "INTEGER"),
        "source_file": "VARCHAR",
    },
    key=("game_id", "player_id"),
    derived=("player_lookup",),
)

PROP_LINES = RawTable(
    name="prop_lines",
    column_types={
        "game_date": "DATE",
        "snapshot_time": "TIMESTAMPTZ",
        "snapshot_file": "VARCHAR",
        "event_id": "VARCHAR",
        "commence_time": "TIMESTAMPTZ",
        "home_team_abbr": "VARCHAR",
        "away_team_abbr": "VARCHAR",
        "bookmaker": "VARCHAR",
        "market": "VARCHAR",
        "player_name": "VARCHAR",
        "player_lookup": "VARCHAR",
        "line": "DOUBLE",
        "over_odds": "DOUBLE",
        "under_odds": "DOUBLE",
        "source_file": "VARCHAR",
    },
    # Some books (Bovada) post alternate lines: one row per line.
    # Snapshots accumulate: a later fetch (after some tip-offs) must not drop earlier lines.
    replace_only_matching="snapshot_file",
    derived=("player_lookup",),
    key=("snapshot_file", "commence_time", "home_team_abbr", "bookmaker", "market", "player_name", "line"),
)

RAW_TABLES = (SCHEDULE, PLAYER_BOXSCORES, PROP_LINES)

_INT_TYPES = {"INTEGER", "BIGINT"}


def pandera_schema(table: RawTable, start: pd.Timestamp, end: pd.Timestamp):
    """The validation schema of `table` for rows of the window start <= game_date < end."""
    import pandera.pandas as pa

    def col(sql_type: str, nullable: bool = True, checks=None):
        dtype = {
            "DATE": "datetime64[ns]",
            "VARCHAR": str,
            "INTEGER": "Int64",
            "BIGINT": "Int64",
            "DOUBLE": float,
            "TIMESTAMPTZ": "datetime64[ns, UTC]",
        }[sql_type]
        return pa.Column(dtype, nullable=nullable, coerce=True, checks=checks)

    required = {
        "schedule": {
            "game_date",
            "game_id",
            "season",
            "season_type",
            "home_team_abbr",
            "away_team_abbr",
            "source_file",
        },
        "player_boxscores": {
            "game_date",
            "game_id",
            "player_id",
            "player_name",
            "player_lookup",
            "team_abbr",
            "minutes",
            "points",
            "rebounds",
            "assists",
            "source_file",
        },
        "prop_lines": {
            "game_date",
            "snapshot_file",
            "commence_time",
            "home_team_abbr",
            "away_team_abbr",
            "bookmaker",
            "market",
            "player_name",
            "player_lookup",
            "source_file",
        },
    }[table.name]
    non_negative = pa.Check.ge(0)
    extra_checks = {
        "game_date": [pa.Check.ge(start), pa.Check.lt(end)],
        "game_id": [pa.Check.str_matches(r"^\d{10}$")],
        "season_type": [pa.Check.isin(["regular", "play-in", "playoffs"])],
        "home_away": [pa.Check.isin(["HOME", "AWAY"])],
        "player_lookup": [pa.Check.str_length(min_value=1)],
        "minutes": [pa.Check.in_range(0, 70)],
        "points": [pa.Check.in_range(0, 100)],
        "home_points": [pa.Check.in_range(0, 250)],
        "away_points": [pa.Check.in_range(0, 250)],
        "line": [pa.Check.in_range(0, 100)],
    }
    columns = {}
    for name, sql_type in table.column_types.items():
        checks = list(extra_checks.get(name, []))
        if sql_type in _INT_TYPES and name not in extra_checks:
            checks.append(non_negative)
        if name in ("team_abbr", "opponent_abbr", "home_team_abbr", "away_team_abbr"):
            checks.append(pa.Check.str_matches(r"^[A-Z]{3}$"))
        columns[name] = col(sql_type, nullable=name not in required, checks=checks)
    return pa.DataFrameSchema(columns, strict=True, unique=list(table.key), report_duplicates="all")


def prepare_for_validation(table: RawTable, rows: pd.DataFrame) -> pd.DataFrame:
    """Source values arrive as text; "11.0" is a valid integer there, pandas' Int64 disagrees."""
    import numpy as np
    import pandas as pd

    rows = rows.copy()
    for name, sql_type in table.column_types.items():
        if sql_type in _INT_TYPES and rows[name].dtype == object:
            # Each distinct value once (a season's box scores: ~150,000 rows, a few hundred values).
            codes, distinct = pd.factorize(rows[name])
            if not len(distinct):  # all missing
                continue
            fixed = pd.Series(distinct, dtype=object).str.replace(r"^(-?\d+)\.0+$", r"\1", regex=True).to_numpy(object)
            values = rows[name].to_numpy(object)
            rows[name] = np.where(codes < 0, values, fixed[np.maximum(codes, 0)])  # missing ones as they were
    return rows


class RawValidationError(ValueError):
    pass


def validate(table: RawTable, rows: pd.DataFrame, start, end, landing: list[str]) -> pd.DataFrame:
    """Validates and types `rows`; on failure raises naming the source files and the rows."""
    import pandas as pd
    import pandera.pandas as pa

    schema = pandera_schema(table, pd.Timestamp(start), pd.Timestamp(end))
    try:
        return schema.validate(prepare_for_validation(table, rows), lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        bad_index = [i for i in cases["index"].dropna().unique().tolist() if i in rows.index]
        bad_rows = rows.loc[bad_index]
        files = sorted(bad_rows["source_file"].dropna().unique().tolist()) if len(bad_rows) else []
        landed = ", ".join(landing[:3]) + (" ..." if len(landing) > 3 else "")
        summary = cases[["column", "check", "failure_case", "index"]].head(10).to_string(index=False)
        raise RawValidationError(
            f"nba_raw.{table.name}: {len(cases)} validation failures in source file(s) "
            f"{files or ['(whole frame)']} (landing: {landed}); nothing of this window was "
            f"written.\nFailures:\n{summary}\nFirst offending rows:\n"
            f"{bad_rows.head(5).to_string()}"
        ) from None
