"""The replay index kept on disk per game date, so that a process reads only the dates it serves.

Reading the whole parsed archive (a ~32 MB pickle) and reshaping it into the index costs ~0.45 s,
most of a one-date run's source time. Instead, per archive version and code version (`cache_key` of
the archive's fingerprint and the reader, index and cache code), a folder in the cache dir holds:

- `catalogue.pickle`: which dates have schedule, box-score and prop-line rows, the archive's read
  and ignored files, its per-file report, and the archive folder;
- `<game date>.pickle`, one per date with any rows: that date's three frames exactly as the
  in-memory `ReplayIndex` serves them (schedule, box scores with game ids filled, prop lines).

A date's file is read on its first lookup and kept for the process. Every file starts with the
SHA-256 of its pickle, and a date's file names its date: a damaged, truncated or misplaced file is
detected, the index built from the archive serves instead, and the folder is rebuilt from it.

The folder is built once from the full archive (`read_archive_cached` + `ReplayIndex`) in a hidden
per-process temporary folder and renamed into place: a folder under its final name is always
complete, while other processes may be reading the cache. The most recently used few are kept.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import shutil
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from resources.sources.replay.archive import Archive

# The in-memory index this module stores and serves (resources/sources/replay/source.py's
# `ReplayIndex`: schedule_by_date, box_by_date, props_by_date, archive). Passed in by source.py,
# which builds it; not imported here (source.py imports this module).
ReplayIndex = Any

CATALOGUE = "catalogue.pickle"
FOLDER_PREFIX = "replay_index-"
# Per-date frames under these names in a date's file; the index's mappings of the same frames.
KINDS = {"schedule": "schedule_by_date", "box": "box_by_date", "props": "props_by_date"}
# Temporary folders of killed builds older than this are removed when old versions are.
ABANDONED_AFTER_SECONDS = 3600


class DamagedCache(Exception):
    """A cache file fails its checksum, cannot be unpickled or holds another date."""


def index_sources(shaped_by: Path) -> tuple[Path, ...]:
    """The code that shapes the cached index: the archive reader's, the module that reshapes it into
    an index (`shaped_by`: source.py) and this module."""
    from resources.sources.replay.archive import READER_SOURCES

    return (*READER_SOURCES, shaped_by, Path(__file__))


def index_folder(fingerprint: tuple, cache_dir: Path, shaped_by: Path) -> Path:
    from resources.sources.replay.archive import cache_key

    return cache_dir / f"{FOLDER_PREFIX}{cache_key(fingerprint, index_sources(shaped_by))}"


def load_index(
    fingerprint: tuple, cache_dir: Path, build: Callable[[], ReplayIndex], shaped_by: Path
) -> StoredIndex | ReplayIndex:
    """The archive's index: the stored one if this version's folder exists, else `build()`'s (the
    index built from the archive; stored for the next processes)."""
    folder = index_folder(fingerprint, cache_dir, shaped_by)
    try:
        catalogue = _read_checked(folder / CATALOGUE)
        os.utime(folder / CATALOGUE)  # recently used
        return StoredIndex(folder, catalogue, build)
    except OSError:  # absent, or pruned meanwhile
        store = store_index
    except DamagedCache:
        store = replace_damaged
    index = build()
    store(index, folder)
    return index


class StoredRowsByDate(Mapping):
    """One kind of a stored index's frames by game date, as `RowsByDate` serves them: the dates are
    the catalogue's, a date's frame is read from its file when asked for."""

    def __init__(self, dates: list, day: Callable[[Any], dict], kind: str):
        self._dates = dict.fromkeys(dates)  # ordered, as the in-memory index iterates them
        self._day = day
        self._kind = kind

    def __getitem__(self, game_date) -> pd.DataFrame:
        if game_date not in self._dates:
            raise KeyError(game_date)
        return self._day(game_date)[self._kind]

    def __contains__(self, game_date) -> bool:  # without reading the date's file
        return game_date in self._dates

    def __iter__(self):
        return iter(self._dates)

    def __len__(self) -> int:
        return len(self._dates)


class StoredIndex:
    """A `ReplayIndex` read from its folder date by date: the same mappings, the catalogue's file
    lists, and the parsed archive itself read only if `archive` is asked for."""

    def __init__(self, folder: Path, catalogue: dict, build: Callable[[], ReplayIndex]):
        self.folder = folder
        self.root = Path(catalogue["root"])
        self.files: dict[str, str] = catalogue["files"]
        self.ignored: list[str] = catalogue["ignored"]
        self.report: list = catalogue["report"]  # archive.py's FileReport per file
        self._build = build
        self._fallback: ReplayIndex | None = None
        self._days: dict[Any, dict] = {}
        for kind, attribute in KINDS.items():
            setattr(self, attribute, StoredRowsByDate(catalogue[kind], self._day, kind))

    @property
    def archive(self) -> Archive:
        return self._index_from_archive().archive

    def _day(self, game_date) -> dict:
        if game_date not in self._days:
            self._days[game_date] = self._read_day(game_date)
        return self._days[game_date]

    def _read_day(self, game_date) -> dict:
        if self._fallback is None:
            try:
                day = _read_checked(self.folder / date_file(game_date))
                if day.get("date") == game_date:
                    return day
            except (OSError, DamagedCache):
                pass
            replace_damaged(self._index_from_archive(), self.folder)
        return {kind: getattr(self._fallback, attribute).get(game_date) for kind, attribute in KINDS.items()}

    def _index_from_archive(self) -> ReplayIndex:
        # Once damaged (or when the archive is asked for), every date is served from the archive's
        # index: one answer per process, whatever happens to the folder meanwhile.
        if self._fallback is None:
            self._fallback = self._build()
        return self._fallback


def date_file(game_date) -> str:
    return f"{game_date}.pickle"


def store_index(index: ReplayIndex, folder: Path) -> None:
    """Writes `index` as `folder`: into a hidden temporary folder, renamed into place once complete
    (catalogue last). Another process having stored it first is fine; a read-only or full disk
    only costs the next process the same build."""
    temporary = folder.with_name(f".{folder.name}.{os.getpid()}.tmp")
    try:
        shutil.rmtree(temporary, ignore_errors=True)  # a killed build's, should a pid recur
        temporary.mkdir(parents=True)
        _write_days(index, temporary)
        _write_checked(temporary / CATALOGUE, _catalogue(index))
        os.rename(temporary, folder)  # fails if another process's copy is already in place
        prune(folder.parent)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)


def _write_days(index: ReplayIndex, folder: Path) -> None:
    mappings = {kind: getattr(index, attribute) for kind, attribute in KINDS.items()}
    dates = dict.fromkeys(date for mapping in mappings.values() for date in mapping)
    for game_date in dates:
        day = {kind: mapping.get(game_date) for kind, mapping in mappings.items()}
        _write_checked(folder / date_file(game_date), {"date": game_date, **day})


def _catalogue(index: ReplayIndex) -> dict:
    archive = index.archive
    dates = {kind: list(getattr(index, attribute)) for kind, attribute in KINDS.items()}
    return {
        "root": str(archive.root),
        "files": archive.files,
        "ignored": archive.ignored,
        "report": archive.report,
        **dates,
    }


def replace_damaged(index: ReplayIndex, folder: Path) -> None:
    """Moves a damaged folder out of the way (one rename: readers see it whole or not at all) and
    stores `index` in its place."""
    aside = folder.with_name(f".{folder.name}.{os.getpid()}.damaged.tmp")
    try:
        os.rename(folder, aside)
    except OSError:
        pass  # already moved or replaced by another process
    shutil.rmtree(aside, ignore_errors=True)
    store_index(index, folder)


def prune(cache_dir: Path, kept: int | None = None) -> None:
    """Keeps the `kept` most recently used versions (CACHE_FILES_KEPT, as for the archive pickle)
    and removes temporary folders of builds killed long ago."""
    from resources.sources.replay.archive import CACHE_FILES_KEPT

    kept = CACHE_FILES_KEPT if kept is None else kept
    folders = sorted(cache_dir.glob(f"{FOLDER_PREFIX}*"), key=_last_used)
    for old in folders[:-kept]:
        aside = old.with_name(f".{old.name}.{os.getpid()}.old.tmp")
        try:
            os.rename(old, aside)  # out of sight at once, then removed
        except OSError:
            continue
        shutil.rmtree(aside, ignore_errors=True)
    for temporary in cache_dir.glob(f".{FOLDER_PREFIX}*.tmp"):
        if _age_seconds(temporary) > ABANDONED_AFTER_SECONDS:
            shutil.rmtree(temporary, ignore_errors=True)


def _last_used(folder: Path) -> float:
    try:
        return (folder / CATALOGUE).stat().st_mtime
    except OSError:
        return 0.0


def _age_seconds(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def _write_checked(path: Path, value: Any) -> None:
    data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    path.write_bytes(hashlib.sha256(data).digest() + data)


def _read_checked(path: Path) -> Any:
    content = path.read_bytes()
    digest, data = content[:32], content[32:]
    if hashlib.sha256(data).digest() != digest:
        raise DamagedCache(f"{path}: checksum mismatch")
    try:
        with _gc_paused():
            return pickle.loads(data)
    except Exception as exc:  # e.g. written by another pandas
        raise DamagedCache(f"{path}: cannot be unpickled: {exc}") from exc


@contextmanager
def _gc_paused() -> Iterator[None]:
    # A date's prop lines are ~100,000 strings: allocating them triggers collections that walk
    # every object of the process (Dagster's and dbt's modules), ~70 ms of a ~5 ms read.
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
