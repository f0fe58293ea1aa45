"""Reads the replay archive: every file of a known shape under one folder, each file accounted for.

The archive holds real NBA data in the shapes it was published in (NBA.com game logs of three
vintages, NBA.com team game logs, The Odds API snapshots) and whatever a user adds in the shapes
the adapters know (resources/sources/replay/adapters: The Odds API JSON and its json_normalize'd
CSV, API-NBA and balldontlie box scores, the plain contracts). Each file is recognised by its
header (a JSON response once flattened), read with every value as text (so that a malformed value
reaches validation with its file name instead of silently becoming NaN) and reshaped into one of
three source shapes: schedule rows (one per team and game), box-score rows and prop-line rows.

Every file is accounted for in `Archive.report` (one `FileReport` each): its shape, rows read, rows
served, exact duplicates dropped, rows rejected and why; a file of no known shape is listed with its
columns and the nearest shape's missing columns. A file that looks like a known shape but lacks some
of its columns is an error that names the file and the missing columns.

Duplicates across (or within) files: a row equal in every value to an earlier one (the files by
modification time, then path: a re-downloaded copy is the later file) is dropped and counted against its file; two rows with the same key (the raw table's key;
box scores: date and player) and different values are an error naming the first keys and both
files: nothing is served until one of them is removed or corrected.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nba_assets.lib import raw_tables
from nba_assets.lib.identity import player_lookup
from nba_assets.lib.paths import DBT_PROJECT_DIR
from nba_assets.lib.raw_tables import PROP_LINES
from resources.sources.replay import adapters
from resources.sources.replay.adapters import open_file
from resources.sources.replay.adapters.common import (
    BOX_COLUMNS,
    PROP_COLUMNS,
    TEAM_GAME_COLUMNS,
    ArchiveError,
    Reshaped,
    normalize_game_id,
)

__all__ = ["ArchiveError", "normalize_game_id", "BOX_COLUMNS", "PROP_COLUMNS", "TEAM_GAME_COLUMNS"]

ALIAS_SEED = DBT_PROJECT_DIR / "seeds" / "player_aliases.csv"
KINDS = {"boxscores": BOX_COLUMNS, "team_games": TEAM_GAME_COLUMNS, "prop_lines": PROP_COLUMNS}
# Two rows with one of these keys and different values are a conflict (an error), not a duplicate.
CONFLICT_KEYS = {"boxscores": ["game_date", "player_id"], "prop_lines": list(PROP_LINES.key)}
# Values compared for exact duplicates: every column but the file the row came from.
NOT_COMPARED = ["source_file"]


@dataclass
class FileReport:
    """One file of the archive, accounted for."""

    file: str
    shape: str | None  # None: of no known shape
    kind: str | None  # boxscores | team_games | prop_lines | reference
    description: str = ""
    rows_read: int = 0
    rows_served: int = 0  # what the source serves of it, after duplicates and rejections
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    columns: list[str] = field(default_factory=list)  # an unknown file's columns
    nearest_shape: str | None = None
    nearest_missing: list[str] = field(default_factory=list)

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def why(self) -> str:
        return "; ".join(f"{n} {reason}" for reason, n in self.rejected.items())


@dataclass
class Archive:
    """The archive's rows in source shapes, indexed by game date."""

    root: Path
    boxscores: pd.DataFrame
    team_games: pd.DataFrame
    prop_lines: pd.DataFrame
    files: dict[str, str] = field(default_factory=dict)  # relative path -> shape name
    ignored: list[str] = field(default_factory=list)  # files of no known shape
    report: list[FileReport] = field(default_factory=list)


def archive_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if adapters.is_archive_file(p, root))


def archive_fingerprint(root: Path) -> tuple:
    """The archive's version: its files with size and mtime (a dropped-in file changes it)."""
    if not root.is_dir():
        raise ArchiveError(f"replay archive folder {root} does not exist (NBA_REPLAY_ARCHIVE)")
    return tuple((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in archive_files(root))


def read_file(path: Path, rel: str) -> tuple[FileReport, Reshaped | None, pd.DataFrame | None]:
    """One file: its report, its reshaped rows (None for reference and unknown files) and, for the
    player directory, its frame."""
    opened = open_file(path)
    adapter = opened.adapter
    if adapter is None:
        nearest, missing = adapters.nearest(opened.columns)
        report = FileReport(rel, None, None, "no known shape", columns=opened.columns)
        report.nearest_shape, report.nearest_missing = nearest.name, missing
        return report, None, None
    report = FileReport(rel, adapter.name, adapter.kind, adapter.description)
    if adapter.reshape is None:
        frame = adapters.read_csv_text(path) if adapter.name == "nba_api_static_players" else None
        report.rows_read = len(frame) if frame is not None else 0
        return report, None, frame
    report.rows_read = len(opened.frame)
    shaped = adapter.reshape(opened.frame, path, rel)
    report.rejected = dict(shaped.rejected)
    return report, shaped, None


def read_archive(root: Path, fingerprint: tuple) -> Archive:
    reports: list[FileReport] = []
    shaped_by_kind: dict[str, list[tuple[FileReport, Reshaped]]] = {kind: [] for kind in KINDS}
    directories: list[pd.DataFrame] = []
    # The older file keeps the rows two files share (a re-downloaded copy's are its duplicates).
    for path_str, _, _ in sorted(fingerprint, key=lambda f: (f[2], f[0])):
        path = Path(path_str)
        report, shaped, directory = read_file(path, str(path.relative_to(root)))
        reports.append(report)
        if shaped is not None:
            shaped_by_kind[report.kind].append((report, shaped))
        if directory is not None:
            directories.append(directory)
    if shaped_by_kind["boxscores"]:
        _resolve_player_ids(shaped_by_kind["boxscores"], directories)
    combined = {kind: _combine(kind, parts) for kind, parts in shaped_by_kind.items()}
    for report in reports:
        if report.kind in combined:
            frame = combined[report.kind]
            report.rows_served = int((frame["source_file"] == report.file).sum())
    reports.sort(key=lambda r: r.file)
    files = {r.file: r.shape for r in reports if r.shape is not None}
    ignored = [r.file for r in reports if r.shape is None]
    return Archive(root=root, files=files, ignored=ignored, report=reports, **combined)


def _combine(kind: str, parts: list[tuple[FileReport, Reshaped]]) -> pd.DataFrame:
    """The kind's rows of every file: exact duplicates dropped (counted against their file),
    conflicting keys an error."""
    if not parts:
        return pd.DataFrame(columns=KINDS[kind])
    frame = pd.concat([shaped.rows for _, shaped in parts], ignore_index=True)
    compared = [c for c in frame.columns if c not in NOT_COMPARED]
    duplicate = frame.duplicated(compared, keep="first")
    if duplicate.any():
        dropped = frame.loc[duplicate, "source_file"].value_counts()
        for report, _ in parts:
            report.duplicates += int(dropped.get(report.file, 0))
        frame = frame[~duplicate].reset_index(drop=True)
    key = CONFLICT_KEYS.get(kind)
    if key:
        frame = _merge_or_fail(kind, frame, key, parts)
    return frame


def _merge_or_fail(kind: str, frame: pd.DataFrame, key: list[str], parts) -> pd.DataFrame:
    """Rows sharing a key: one row when they differ only where one of them is empty (a less
    complete copy, e.g. NBA.com's logs list a few play-in players twice, once without turnovers:
    counted as duplicates of the first); an error when two of them hold different values."""
    clash = frame.duplicated(key, keep=False) & frame[key].notna().all(axis=1)
    if not clash.any():
        return frame
    rows = frame[clash]
    compared = [c for c in frame.columns if c not in key and c not in NOT_COMPARED]
    differing = rows.groupby(key, sort=False)[compared].nunique() > 1
    conflicting = differing.any(axis=1)
    if conflicting.any():
        _fail_on_conflicts(kind, rows, key, conflicting[conflicting].index, differing)
    merged = rows.groupby(key, sort=False, as_index=False).first()  # first non-empty value per column
    later = rows[rows.duplicated(key, keep="first")]["source_file"].value_counts()
    for report, _ in parts:
        report.duplicates += int(later.get(report.file, 0))
    return pd.concat([frame[~clash], merged[frame.columns]], ignore_index=True)


def _fail_on_conflicts(kind: str, rows: pd.DataFrame, key: list[str], keys, differing: pd.DataFrame) -> None:
    first_key = keys[0] if isinstance(keys[0], tuple) else (keys[0],)
    first = rows[(rows[key] == pd.Series(first_key, index=key)).all(axis=1)]
    columns = [c for c in differing.columns if differing.loc[keys[0], c]]
    files = list(dict.fromkeys(first["source_file"]))
    listed = pd.DataFrame(list(keys[:5]), columns=key) if len(key) > 1 else pd.DataFrame({key[0]: list(keys[:5])})
    raise ArchiveError(
        f"{len(keys)} keys of the {kind} files ({', '.join(key)}) have rows with different values ({', '.join(columns)}), "
        f"first in {' and '.join(files)}; nothing is served until one of them is removed or corrected.\n"
        f"First keys:\n{listed.to_string(index=False)}\nThe first key's rows:\n{first.to_string(index=False)}"
    )


def _player_directory(parts: list[tuple[FileReport, Reshaped]], directories: list[pd.DataFrame]) -> dict:
    """player_lookup -> NBA.com player id: the archive's NBA.com box scores first (a name's most
    frequent id), then nba_api's player directory; then the `player_aliases` seed's spellings."""
    known: dict[str, str] = {}
    for directory in directories:
        names = directory["full_name"].fillna("").map(player_lookup)
        known.update(zip(names, directory["player_id"]))
    nba_rows = [s.rows[["player_name", "player_id"]] for _, s in parts if not s.resolve_player_ids]
    if nba_rows:
        rows = pd.concat(nba_rows).dropna()
        rows = rows.assign(lookup=rows["player_name"].map(player_lookup))
        counts = rows.groupby(["lookup", "player_id"]).size().reset_index(name="n").sort_values("n")
        known.update(zip(counts["lookup"], counts["player_id"]))  # the most frequent id last: it wins
    if ALIAS_SEED.exists():
        aliases = pd.read_csv(ALIAS_SEED, dtype=str)
        for alias, lookup in zip(aliases["alias_lookup"], aliases["player_lookup"]):
            if lookup in known and alias not in known:
                known[alias] = known[lookup]
    return known


def _resolve_player_ids(parts: list[tuple[FileReport, Reshaped]], directories: list[pd.DataFrame]) -> None:
    """Player ids of the sources with their own numbering, from the player's name; a name that
    matches no NBA.com player is rejected and listed."""
    if not any(s.resolve_player_ids for _, s in parts):
        return
    known = _player_directory(parts, directories)
    for report, shaped in parts:
        if not shaped.resolve_player_ids:
            continue
        ids = shaped.rows["player_name"].fillna("").map(player_lookup).map(known)
        shaped.rows = shaped.rows.assign(player_id=ids)
        unmatched = ids.isna()
        names = sorted(shaped.rows.loc[unmatched, "player_name"].dropna().unique())
        listed = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
        shaped.reject(unmatched, f"player name matches no NBA.com player ({len(names)} names: {listed})")
        report.rejected = dict(shaped.rejected)


CACHE_FILES_KEPT = 4
# What shapes the cached frames: this module, the adapters, the team names, the raw column contract
# and the alias seed (player ids from names).
READER_SOURCES = (
    Path(__file__),
    *sorted((Path(__file__).parent / "adapters").glob("*.py")),
    Path(__file__).parent.parent / "teams.py",
    Path(raw_tables.__file__),
    ALIAS_SEED,
)


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
