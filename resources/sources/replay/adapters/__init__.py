"""The file shapes the replay archive recognises, one adapter each, and how a file finds its own.

An adapter maps one published shape to a source shape once (the raw column contract of
nba_assets/lib/raw_tables.py for box scores and prop lines; team-game rows for the schedule). A CSV
file is recognised by its header; a JSON file (a saved API response) is flattened the way
`pandas.json_normalize` flattens it and then recognised the same way. Reference files (the player
and team directories, starter flags) are known and listed but load no table. A file of no known
shape is listed with its columns and the nearest shape's missing columns (never silently skipped).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from resources.sources.replay.adapters import box_apis, nba_api, odds_api, plain
from resources.sources.replay.adapters.common import ArchiveError, Reshaped

FILE_SUFFIXES = (".csv", ".csv.gz", ".json", ".json.gz")


@dataclass(frozen=True)
class Adapter:
    name: str
    kind: str  # "boxscores" | "team_games" | "prop_lines" | "reference" (read by no table)
    columns: frozenset[str]  # every column the adapter needs
    identity: frozenset[str]  # columns that tell this shape apart from unrelated files
    reshape: Callable[[pd.DataFrame, Path, str], Reshaped] | None
    description: str
    json: bool = False  # the shape of a saved JSON response, flattened


def _adapter(name, kind, columns, identity, reshape, description, json=False) -> Adapter:
    return Adapter(name, kind, frozenset(columns), frozenset(identity), reshape, description, json)


ADAPTERS = (
    _adapter(
        "nba_player_game_logs",
        "boxscores",
        nba_api.PLAYER_GAME_LOGS,
        {"PLAYER_ID", "GAME_ID", "GAME_DATE", "PLAYER_NAME"},
        nba_api.player_game_logs,
        "NBA.com PlayerGameLogs (nba_api)",
    ),
    _adapter(
        "nba_boxscore_traditional",
        "boxscores",
        nba_api.BOXSCORE_TRADITIONAL,
        {"GAME_ID", "game_date", "TEAM", "PLAYER_ID"},
        nba_api.boxscore_traditional,
        "NBA.com BoxScoreTraditional (nba_api)",
    ),
    _adapter(
        "nba_api_player_logs_lowercase",
        "boxscores",
        nba_api.LOWERCASE_LOGS,
        {"player", "player_id", "date", "matchup"},
        nba_api.lowercase_logs,
        "NBA.com PlayerGameLog, lowercase export (nba_api)",
    ),
    _adapter(
        "api_nba_player_statistics",
        "boxscores",
        box_apis.API_NBA,
        {"player.firstname", "player.lastname", "game.id", "totReb"},
        box_apis.api_nba,
        "API-NBA (api-sports) /players/statistics, json_normalize'd",
    ),
    _adapter(
        "api_nba_player_statistics_json",
        "boxscores",
        box_apis.API_NBA,
        {"player.firstname", "player.lastname", "game.id", "totReb"},
        box_apis.api_nba,
        "API-NBA (api-sports) /players/statistics response (JSON)",
        json=True,
    ),
    _adapter(
        "balldontlie_stats",
        "boxscores",
        box_apis.BALLDONTLIE,
        {"player.first_name", "player.last_name", "game.id", "pts"},
        box_apis.balldontlie,
        "balldontlie /v1/stats, json_normalize'd",
    ),
    _adapter(
        "balldontlie_stats_json",
        "boxscores",
        box_apis.BALLDONTLIE,
        {"player.first_name", "player.last_name", "game.id", "pts"},
        box_apis.balldontlie,
        "balldontlie /v1/stats response (JSON)",
        json=True,
    ),
    _adapter(
        "plain_boxscores",
        "boxscores",
        plain.BOXSCORES,
        {"game_date", "player_name", "points", "rebounds"},
        plain.boxscores,
        "plain box-score contract (docs/data.md)",
    ),
    _adapter(
        "nba_team_game_logs",
        "team_games",
        nba_api.TEAM_GAME_LOGS,
        {"SEASON_ID", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE"},
        nba_api.team_game_logs,
        "NBA.com LeagueGameFinder team rows (nba_api)",
    ),
    _adapter(
        "odds_api_snapshot",
        "prop_lines",
        odds_api.SNAPSHOT,
        {"snapshot_file", "event_id", "bookmaker", "market"},
        odds_api.archive_lines,
        "The Odds API snapshot rows (the archive's CSV)",
    ),
    _adapter(
        "odds_api_historical",
        "prop_lines",
        odds_api.HISTORICAL,
        {"source_file", "bookmaker", "market", "game_time"},
        odds_api.archive_lines,
        "The Odds API historical rows (the archive's CSV)",
    ),
    _adapter(
        "odds_api_json_normalized",
        "prop_lines",
        odds_api.NORMALIZED,
        {"outcomes_name", "outcomes_price", "bookmakers.key"},
        odds_api.normalized_lines,
        "The Odds API event odds, json_normalize'd",
    ),
    _adapter(
        "odds_api_event_odds_json",
        "prop_lines",
        odds_api.NORMALIZED,
        {"outcomes_name", "outcomes_price", "bookmakers.key"},
        odds_api.normalized_lines,
        "The Odds API event odds response (JSON)",
        json=True,
    ),
    _adapter(
        "plain_lines",
        "prop_lines",
        plain.LINES,
        {"player", "market", "line", "over_price"},
        plain.lines,
        "plain prop-line contract (docs/data.md)",
    ),
    _adapter(
        "nba_api_static_players",
        "reference",
        {"player_id", "full_name", "first_name", "last_name", "is_active"},
        {"player_id", "full_name", "is_active"},
        None,
        "nba_api's player directory: resolves player ids of sources that name players",
    ),
    _adapter(
        "nba_api_static_teams",
        "reference",
        {"team_id", "abbreviation", "nickname", "city", "full_name"},
        {"team_id", "abbreviation", "full_name"},
        None,
        "nba_api's team directory (the codes are resources/sources/teams.py's)",
    ),
    _adapter(
        "starter_flags",
        "reference",
        {"Player", "Date", "Team", "Status", "Pos"},
        {"Player", "Status", "Pos"},
        None,
        "starter/bench flags: no raw table holds them (not loaded)",
    ),
)
JSON_FLATTENERS = (
    ("odds_api_event_odds_json", odds_api.flatten_events),
    ("api_nba_player_statistics_json", box_apis.flatten_api_nba),
    ("balldontlie_stats_json", box_apis.flatten_balldontlie),
)
BY_NAME = {adapter.name: adapter for adapter in ADAPTERS}


def is_archive_file(path: Path, root: Path | None = None) -> bool:
    """A data file of the archive: not hidden, nor under a hidden folder (an import's staging)."""
    parts = path.relative_to(root).parts if root is not None else (path.name,)
    return path.is_file() and path.name.endswith(FILE_SUFFIXES) and not any(p.startswith(".") for p in parts)


def is_json(path: Path) -> bool:
    return path.name.endswith((".json", ".json.gz"))


def classify(path: Path, header: list[str]) -> Adapter | None:
    """The CSV adapter whose columns the header has; a header with an adapter's identifying
    columns but not all its columns is drift (an error naming the file and the missing columns)."""
    present = set(header)
    csv_adapters = [a for a in ADAPTERS if not a.json]
    for adapter in csv_adapters:
        if adapter.columns <= present:
            return adapter
    for adapter in csv_adapters:
        if adapter.identity <= present:
            missing = sorted(adapter.columns - present)
            raise ArchiveError(f"{path}: looks like a {adapter.name} file but lacks columns {missing}")
    return None


def nearest(columns: list[str]) -> tuple[Adapter, list[str]]:
    """The loadable shape sharing most columns with `columns`, and the columns it would need."""
    present = set(columns)
    loadable = [a for a in ADAPTERS if a.reshape is not None and not a.json]
    best = max(loadable, key=lambda a: (len(a.columns & present), -len(a.columns - present)))
    return best, sorted(best.columns - present)


def read_csv_text(path: Path, nrows: int | None = None) -> pd.DataFrame:
    """Every value as text (a malformed value reaches validation with its file name instead of
    silently becoming NaN)."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig", nrows=nrows)
    except Exception as exc:  # pandas raises several types for truncated/garbled files
        raise ArchiveError(f"{path}: cannot be read as CSV: {exc}") from exc


def read_json(path: Path):
    import gzip

    try:
        opener = gzip.open if path.name.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8-sig") as file:
            return json.load(file)
    except Exception as exc:
        raise ArchiveError(f"{path}: cannot be read as JSON: {exc}") from exc


@dataclass
class Opened:
    """A file read as far as recognising it: its adapter (None: unknown), its frame when known
    (flattened for JSON) and its columns (for the report of an unknown file)."""

    adapter: Adapter | None
    frame: pd.DataFrame | None
    columns: list[str]


def open_file(path: Path) -> Opened:
    if is_json(path):
        payload = read_json(path)
        for name, flatten in JSON_FLATTENERS:
            frame = flatten(payload)
            if frame is not None:
                adapter = BY_NAME[name]
                missing = sorted(adapter.columns - set(frame.columns))
                if missing and len(frame):
                    raise ArchiveError(f"{path}: looks like a {name} response but lacks fields {missing}")
                return Opened(adapter, frame, list(frame.columns))
        keys = list(payload) if isinstance(payload, dict) else [f"(a JSON {type(payload).__name__})"]
        return Opened(None, None, keys)
    header = list(read_csv_text(path, nrows=0).columns)
    adapter = classify(path, header)
    if adapter is None or adapter.reshape is None:
        return Opened(adapter, None, header)
    return Opened(adapter, read_csv_text(path), header)
