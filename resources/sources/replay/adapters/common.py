"""What the adapters share: text-typed reading helpers, NBA.com id and match-up parsing, team names,
and the frames every adapter returns (`Reshaped`: rows in a source shape plus the rows it rejected,
counted by reason)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, PROP_LINES
from resources.sources.errors import SourceError
from resources.sources.teams import TEAM_ABBR_BY_NAME

NBA_TEAM_CODES = frozenset(TEAM_ABBR_BY_NAME.values())

# The columns of the source shapes: the raw tables' contract (nba_assets/lib/raw_tables.py) for box
# scores and prop lines; team-game rows are the archive's own shape, turned into the schedule by
# the replay source.
BOX_COLUMNS = PLAYER_BOXSCORES.source_columns
PROP_COLUMNS = PROP_LINES.source_columns
TEAM_GAME_COLUMNS = [
    "game_date",
    "game_id",
    "team_abbr",
    "opponent_abbr",
    "home_away",
    "points",
    "plus_minus",
    "source_file",
]


class ArchiveError(SourceError):
    """A file of the archive cannot be read as the shape it claims to be."""


@dataclass
class Reshaped:
    """One file's rows in its kind's source shape, and the rows it could not use, by reason."""

    rows: pd.DataFrame
    rejected: dict[str, int] = field(default_factory=dict)
    # Player ids to resolve from names (sources whose ids are not NBA.com's): set by the adapter.
    resolve_player_ids: bool = False

    def reject(self, mask: pd.Series, reason: str) -> None:
        """Drops the rows of `mask`, counting them under `reason`."""
        n = int(mask.sum())
        if n:
            self.rejected[reason] = self.rejected.get(reason, 0) + n
            self.rows = self.rows[~mask.to_numpy()]


def parse_dates(frame: pd.DataFrame, column: str, path: Path, fmt: str | None = None) -> pd.Series:
    parsed = pd.to_datetime(frame[column], errors="coerce", format=fmt)
    bad = frame[parsed.isna()]
    if len(bad):
        raise ArchiveError(
            f"{path}: {len(bad)} rows have an unreadable {column!r}, first rows:\n{bad.head(5).to_string()}"
        )
    return parsed


def normalize_game_id(raw: pd.Series) -> pd.Series:
    """NBA game ids are ten digits ("0022500001"); some files dropped the leading zeros."""
    return raw.str.strip().str.lstrip("0").str.zfill(10)


def split_matchup(matchup: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """ "BOS vs. NYK" is BOS at home against NYK; "BOS @ NYK" is BOS away at NYK."""
    parts = matchup.str.extract(r"^\s*(\w+)\s+(vs\.|@)\s+(\w+)\s*$")
    home_away = parts[1].map({"vs.": "HOME", "@": "AWAY"})
    return parts[0], parts[2], home_away


def team_view(team: pd.Series, matchup: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Opponent and HOME/AWAY of `team` in `matchup`, whichever side of it the team is written on.

    Neutral-site games (Mexico City, Paris) list both teams' rows as "MIA @ WAS".
    """
    first, second, first_home_away = split_matchup(matchup)
    team_first = first == team
    opponent = second.where(team_first, first)
    flipped = first_home_away.map({"HOME": "AWAY", "AWAY": "HOME"})
    home_away = first_home_away.where(team_first, flipped)
    return opponent, home_away


def team_code(values: pd.Series) -> pd.Series:
    """NBA team codes from codes or full names ("BOS", "Boston Celtics"); unknown values are null."""
    text = values.astype("string").str.strip()
    return text.where(text.isin(NBA_TEAM_CODES), text.map(TEAM_ABBR_BY_NAME)).astype(object)


def reject_unknown_teams(shaped: Reshaped, raw: pd.DataFrame, columns: dict[str, str]) -> None:
    """Rejects rows whose team columns (`columns`: shaped column -> the file's column) did not
    resolve to an NBA code, naming the unresolved values (not NBA teams: G League, exhibitions,
    or a spelling `resources/sources/teams.py` lacks)."""
    unknown = pd.Series(False, index=shaped.rows.index)
    names: set[str] = set()
    for shaped_column, raw_column in columns.items():
        missing = shaped.rows[shaped_column].isna()
        unknown |= missing
        names.update(str(v) for v in raw.loc[missing[missing].index, raw_column].dropna().unique())
    if unknown.any():
        listed = ", ".join(sorted(names)[:8]) + (" ..." if len(names) > 8 else "")
        shaped.reject(unknown, f"team not an NBA team: {listed or '(empty)'}")


def box_rows(df: pd.DataFrame, rel: str, renamed: dict[str, str], **computed) -> pd.DataFrame:
    """Box-score rows of one file: the shape's `renamed` columns, the `computed` ones (date, game,
    team columns: each shape its own way) and the file."""
    return pd.DataFrame(
        {
            **{column: df.get(name) for column, name in renamed.items()},
            **computed,
            "source_file": rel,
        },
        columns=BOX_COLUMNS,
        index=df.index,
    )


_CLOCK = re.compile(r"^(\d{1,3})(?::(\d{1,2}))?(?:\.\d+)?$")


def minutes_text(values: pd.Series) -> pd.Series:
    """ "34:12" -> "34.2", "34" -> "34", empty -> "0" (listed, did not play); anything else is kept
    as it is, for validation to name it."""
    text = values.astype("string").fillna("").str.strip()
    parts = text.str.extract(_CLOCK)
    clock = pd.to_numeric(parts[0], errors="coerce") + pd.to_numeric(parts[1], errors="coerce").fillna(0) / 60
    # Whole minutes as "34", as NBA.com's logs write them: the same row from two sources compares equal.
    canonical = clock.round(4).map(lambda v: f"{v:g}", na_action="ignore")
    out = canonical.astype("string").where(clock.notna(), text)
    return out.mask(text == "", "0").astype(object)


def date_in_name(path: Path) -> str | None:
    found = re.search(r"(\d{4}-\d{2}-\d{2})", path.name)
    return found.group(1) if found else None


def as_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every value as text, as the CSV readers see them (a JSON file's numbers too); None stays."""
    return frame.astype(object).where(frame.notna(), None).map(_text)


def _text(value) -> str | None:
    # json_normalize makes a column of integers with a gap float: 2.0 is written "2", as a CSV has it.
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
