"""Reads the replay archive: every CSV(.gz) file of a known shape under one folder.

The archive holds real NBA data in the shapes it was published in (NBA.com game logs of three
vintages, NBA.com team game logs, The Odds API snapshots). Each file is recognised by its header,
read with every value as text (so that a malformed value reaches validation with its file name
instead of silently becoming NaN) and reshaped into one of three source shapes: schedule rows
(one per team and game), box-score rows and prop-line rows. Files of no known shape (static
players/teams, starter flags) are listed as ignored; a file that looks like a known shape but lacks
some of its columns is an error that names the file and the missing columns.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nba_assets.lib import raw_tables
from nba_assets.lib.clock import GAME_TIMEZONE
from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, PROP_LINES
from resources.sources.errors import SourceError
from resources.sources.teams import TEAM_ABBR_BY_NAME


class ArchiveError(SourceError):
    """A file of the archive cannot be read as the shape it claims to be."""


@dataclass(frozen=True)
class Shape:
    name: str
    kind: str  # "boxscores" | "team_games" | "prop_lines"
    columns: frozenset[str]  # every column the reader needs
    identity: frozenset[str]  # columns that tell this shape apart from unrelated files


SHAPES = (
    Shape(
        "nba_player_game_logs",
        "boxscores",
        frozenset(
            {
                "PLAYER_ID",
                "GAME_ID",
                "GAME_DATE",
                "PLAYER_NAME",
                "TEAM_ABBREVIATION",
                "MATCHUP",
                "MIN",
                "PTS",
                "REB",
                "AST",
                "FG3M",
                "FTM",
            }
        ),
        frozenset({"PLAYER_ID", "GAME_ID", "GAME_DATE", "PLAYER_NAME"}),
    ),
    Shape(
        "nba_boxscore_traditional",
        "boxscores",
        frozenset(
            {
                "GAME_ID",
                "game_date",
                "TEAM",
                "PLAYER_ID",
                "PLAYER_NAME",
                "MIN",
                "PTS",
                "REB",
                "AST",
                "FGM",
                "FGA",
                "FG3M",
                "FTM",
            }
        ),
        frozenset({"GAME_ID", "game_date", "TEAM", "PLAYER_ID"}),
    ),
    Shape(
        "nba_api_player_logs_lowercase",
        "boxscores",
        frozenset(
            {
                "player",
                "player_id",
                "date",
                "matchup",
                "minutes",
                "pts",
                "reb",
                "ast",
                "fgm",
                "fga",
                "threes_made",
                "ftm",
                "opponent",
                "home_away",
            }
        ),
        frozenset({"player", "player_id", "date", "matchup"}),
    ),
    Shape(
        "nba_team_game_logs",
        "team_games",
        frozenset({"SEASON_ID", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE", "MATCHUP", "PTS", "PLUS_MINUS"}),
        frozenset({"SEASON_ID", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE"}),
    ),
    Shape(
        "odds_api_snapshot",
        "prop_lines",
        frozenset(
            {
                "snapshot_file",
                "event_id",
                "player",
                "market",
                "line",
                "bookmaker",
                "game",
                "game_time",
                "over_odds",
                "under_odds",
            }
        ),
        frozenset({"snapshot_file", "event_id", "bookmaker", "market"}),
    ),
    Shape(
        "odds_api_historical",
        "prop_lines",
        frozenset(
            {"source_file", "player", "game", "game_time", "market", "line", "bookmaker", "over_odds", "under_odds"}
        ),
        frozenset({"source_file", "bookmaker", "market", "game_time"}),
    ),
)

# The columns of the source shapes: the raw tables' contract (nba_assets/lib/raw_tables.py) for box
# scores and prop lines; team-game rows are this reader's own shape, turned into the schedule by
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

# The box-score columns each shape holds under another name (plain renames; the others are computed
# per shape). A shape's `columns` (SHAPES) are checked before reading; the rest may be absent from a
# file (older vintages) and are then null.
_NBA_COLUMNS = {
    "player_id": "PLAYER_ID",
    "player_name": "PLAYER_NAME",
    "minutes": "MIN",
    "points": "PTS",
    "rebounds": "REB",
    "assists": "AST",
    "steals": "STL",
    "blocks": "BLK",
    "turnovers": "TOV",
    "fgm": "FGM",
    "fga": "FGA",
    "fg3m": "FG3M",
    "fg3a": "FG3A",
    "ftm": "FTM",
    "fta": "FTA",
}
_LOWERCASE_COLUMNS = {
    "player_id": "player_id",
    "player_name": "player",
    "minutes": "minutes",
    "points": "pts",
    "rebounds": "reb",
    "assists": "ast",
    "steals": "stl",
    "blocks": "blk",
    "turnovers": "tov",
    "fgm": "fgm",
    "fga": "fga",
    "fg3m": "threes_made",
    "fg3a": "threes_attempted",
    "ftm": "ftm",
    "fta": "fta",
}


@dataclass
class Archive:
    """The archive's rows in source shapes, indexed by game date."""

    root: Path
    boxscores: pd.DataFrame
    team_games: pd.DataFrame
    prop_lines: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)  # relative path -> shape name
    ignored: list[str] = field(default_factory=list)


def classify(path: Path, header: list[str]) -> Shape | None:
    present = set(header)
    for shape in SHAPES:
        if shape.columns <= present:
            return shape
    # A header with a shape's identifying columns but not all its columns is drift.
    for shape in SHAPES:
        if shape.identity <= present:
            missing = sorted(shape.columns - present)
            raise ArchiveError(f"{path}: looks like a {shape.name} file but lacks columns {missing}")
    return None


def _read_text_csv(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except Exception as exc:  # pandas raises several types for truncated/garbled files
        raise ArchiveError(f"{path}: cannot be read as CSV: {exc}") from exc


def _read_header(path: Path) -> list[str]:
    try:
        return list(pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns)
    except Exception as exc:
        raise ArchiveError(f"{path}: cannot be read as CSV: {exc}") from exc


def _parse_dates(frame: pd.DataFrame, column: str, path: Path, fmt: str | None = None) -> pd.Series:
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


def _split_matchup(matchup: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """ "BOS vs. NYK" is BOS at home against NYK; "BOS @ NYK" is BOS away at NYK."""
    parts = matchup.str.extract(r"^\s*(\w+)\s+(vs\.|@)\s+(\w+)\s*$")
    home_away = parts[1].map({"vs.": "HOME", "@": "AWAY"})
    return parts[0], parts[2], home_away


def _team_view(team: pd.Series, matchup: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Opponent and HOME/AWAY of `team` in `matchup`, whichever side of it the team is written on.

    Neutral-site games (Mexico City, Paris) list both teams' rows as "MIA @ WAS".
    """
    first, second, first_home_away = _split_matchup(matchup)
    team_first = first == team
    opponent = second.where(team_first, first)
    flipped = first_home_away.map({"HOME": "AWAY", "AWAY": "HOME"})
    home_away = first_home_away.where(team_first, flipped)
    return opponent, home_away


def _box_rows(df: pd.DataFrame, rel: str, renamed: dict[str, str], **computed) -> pd.DataFrame:
    """Box-score rows of one file: the shape's `renamed` columns, the `computed` ones (date, game,
    team columns: each shape its own way) and the file."""
    return pd.DataFrame(
        {
            **{column: df.get(name) for column, name in renamed.items()},
            **computed,
            "source_file": rel,
        },
        columns=BOX_COLUMNS,
    )


def _boxscores_nba_logs(df: pd.DataFrame, path: Path, rel: str) -> pd.DataFrame:
    opponent, home_away = _team_view(df["TEAM_ABBREVIATION"], df["MATCHUP"])
    return _box_rows(
        df,
        rel,
        _NBA_COLUMNS,
        game_date=_parse_dates(df, "GAME_DATE", path).dt.date,
        game_id=normalize_game_id(df["GAME_ID"]),
        team_abbr=df["TEAM_ABBREVIATION"],
        opponent_abbr=opponent,
        home_away=home_away,
    )


def _boxscores_traditional(df: pd.DataFrame, path: Path, rel: str) -> pd.DataFrame:
    game_id = normalize_game_id(df["GAME_ID"])
    teams = df.assign(game_id=game_id)[["game_id", "TEAM"]].drop_duplicates()
    opponents = teams.merge(teams, on="game_id", suffixes=("", "_opp"))
    opponents = opponents[opponents["TEAM"] != opponents["TEAM_opp"]]
    opponent_by_team = dict(zip(zip(opponents["game_id"], opponents["TEAM"]), opponents["TEAM_opp"]))
    return _box_rows(
        df,
        rel,
        _NBA_COLUMNS,
        game_date=_parse_dates(df, "game_date", path).dt.date,
        game_id=game_id,
        team_abbr=df["TEAM"],
        opponent_abbr=[opponent_by_team.get(k) for k in zip(game_id, df["TEAM"])],
        home_away=None,  # not in this shape; the schedule has it
    )


def _boxscores_lowercase(df: pd.DataFrame, path: Path, rel: str) -> pd.DataFrame:
    # No game id in this shape: the source joins date + team to the schedule for it.
    team, _, _ = _split_matchup(df["matchup"])
    return _box_rows(
        df,
        rel,
        _LOWERCASE_COLUMNS,
        game_date=_parse_dates(df, "date", path).dt.date,
        game_id=None,
        team_abbr=team,
        opponent_abbr=df["opponent"],
        home_away=df["home_away"].str.upper(),
    )


def _team_games(df: pd.DataFrame, path: Path, rel: str) -> pd.DataFrame:
    opponent, home_away = _team_view(df["TEAM_ABBREVIATION"], df["MATCHUP"])
    return pd.DataFrame(
        {
            "game_date": _parse_dates(df, "GAME_DATE", path).dt.date,
            "game_id": normalize_game_id(df["GAME_ID"]),
            "team_abbr": df["TEAM_ABBREVIATION"],
            "opponent_abbr": opponent,
            "home_away": home_away,
            "points": df["PTS"],
            "plus_minus": df["PLUS_MINUS"],
            "source_file": rel,
        },
        columns=TEAM_GAME_COLUMNS,
    )


_SNAPSHOT_IN_NAME = re.compile(r"(\d{8}_\d{6})")


def _prop_lines(df: pd.DataFrame, path: Path, rel: str, shape: Shape) -> pd.DataFrame:
    commence = _parse_dates(df, "game_time", path).dt.tz_convert("UTC")
    teams = df["game"].str.split(" @ ", n=1, expand=True)
    away = teams[0].map(TEAM_ABBR_BY_NAME)
    home = teams[1].map(TEAM_ABBR_BY_NAME) if teams.shape[1] > 1 else pd.Series(None, index=df.index)
    unknown = df[away.isna() | home.isna()]
    if len(unknown):
        raise ArchiveError(
            f"{path}: {len(unknown)} rows name a game with an unknown team, first rows:\n"
            f"{unknown[['game']].drop_duplicates().head(5).to_string()}"
        )
    if shape.name == "odds_api_snapshot":
        snapshot_file = df["snapshot_file"]
        # The Odds API snapshot files are named raw_YYYYMMDD_HHMMSS.csv (taken as UTC).
        stamp = snapshot_file.str.extract(_SNAPSHOT_IN_NAME)[0]
        snapshot_time = pd.to_datetime(stamp, format="%Y%m%d_%H%M%S", errors="coerce").dt.tz_localize("UTC")
        event_id = df["event_id"]
    else:
        snapshot_file = df["source_file"]
        updated = df.get("market_last_update", pd.Series(None, index=df.index))
        updated = updated.fillna(df.get("bookmaker_last_update", pd.Series(None, index=df.index)))
        snapshot_time = pd.to_datetime(updated, errors="coerce", utc=True)
        event_id = None
    return pd.DataFrame(
        {
            "game_date": commence.dt.tz_convert(GAME_TIMEZONE).dt.date,
            "snapshot_time": snapshot_time,
            "snapshot_file": snapshot_file,
            "event_id": event_id,
            "commence_time": commence,
            "home_team_abbr": home,
            "away_team_abbr": away,
            "bookmaker": df["bookmaker"],
            "market": df["market"],
            "player_name": df["player"],
            "line": df["line"],
            "over_odds": df["over_odds"],
            "under_odds": df["under_odds"],
            "source_file": rel,
        },
        columns=PROP_COLUMNS,
    )


def _reshape(shape: Shape, df: pd.DataFrame, path: Path, rel: str) -> pd.DataFrame:
    if shape.name == "nba_player_game_logs":
        return _boxscores_nba_logs(df, path, rel)
    if shape.name == "nba_boxscore_traditional":
        return _boxscores_traditional(df, path, rel)
    if shape.name == "nba_api_player_logs_lowercase":
        return _boxscores_lowercase(df, path, rel)
    if shape.kind == "team_games":
        return _team_games(df, path, rel)
    return _prop_lines(df, path, rel, shape)


def archive_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith((".csv", ".csv.gz")))


def archive_fingerprint(root: Path) -> tuple:
    """The archive's version: its files with size and mtime (a dropped-in file changes it)."""
    if not root.is_dir():
        raise ArchiveError(f"replay archive folder {root} does not exist (NBA_REPLAY_ARCHIVE)")
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in archive_files(root))


def read_archive(root: Path, fingerprint: tuple) -> Archive:
    frames: dict[str, list[pd.DataFrame]] = {"boxscores": [], "team_games": [], "prop_lines": []}
    files: dict[str, str] = {}
    ignored: list[str] = []
    for path_str, _, _ in fingerprint:
        path = Path(path_str)
        rel = str(path.relative_to(root))
        shape = classify(path, _read_header(path))
        if shape is None:
            ignored.append(rel)
            continue
        frames[shape.kind].append(_reshape(shape, _read_text_csv(path), path, rel))
        files[rel] = shape.name
    empty = {"boxscores": BOX_COLUMNS, "team_games": TEAM_GAME_COLUMNS, "prop_lines": PROP_COLUMNS}
    combined = {
        kind: (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=empty[kind]))
        for kind, parts in frames.items()
    }
    return Archive(root=root, files=files, ignored=ignored, **combined)


CACHE_FILES_KEPT = 4
# The code that shapes the cached frames: this module, the team names and the raw column contract.
READER_SOURCES = (Path(__file__), Path(__file__).parent.parent / "teams.py", Path(raw_tables.__file__))


def cache_key(fingerprint: tuple, sources: tuple[Path, ...] = READER_SOURCES) -> str:
    """A cache entry's version: the archive's (its files' paths, sizes, mtimes) and the code that
    shapes what is cached (`sources`)."""
    code = b"".join(source.read_bytes() for source in sources)
    return hashlib.sha256(repr(fingerprint).encode() + code).hexdigest()[:24]


def read_archive_cached(root: Path, fingerprint: tuple, cache_dir: Path) -> Archive:
    """`read_archive`, kept as a pickle in `cache_dir` (the project's own `.data/cache`) per archive
    version and reader code (`cache_key`): loading it takes ~0.3 s instead of ~1.5 s. The most
    recently used few are kept. The replay source reads it only to build its per-date index
    (index_cache.py) or when that index is damaged."""
    path = cache_dir / f"replay_archive-{cache_key(fingerprint)}.pickle"
    try:
        with path.open("rb") as file:
            archive = pickle.load(file)
        os.utime(path)  # recently used
        return archive
    except Exception:  # absent, partly written or from another pandas: read the archive
        pass
    archive = read_archive(root, fingerprint)
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        with temporary.open("wb") as file:
            pickle.dump(archive, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # atomic: another process may be reading the cache
        cached = sorted(cache_dir.glob("replay_archive-*.pickle"), key=lambda p: p.stat().st_mtime)
        for old in cached[:-CACHE_FILES_KEPT]:
            old.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk only costs the next process the same read
    return archive
