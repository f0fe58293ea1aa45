"""The replay index is kept on disk per archive version and date, and serves what the in-memory
index serves."""

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from resources.sources.replay import index_cache
from resources.sources.replay import source as replay_source
from resources.sources.replay.archive import CACHE_FILES_KEPT, archive_fingerprint, read_archive
from resources.sources.replay.index_cache import (
    CATALOGUE,
    KINDS,
    StoredIndex,
    date_file,
    index_folder,
)
from resources.sources.replay.source import ReplayIndex, ReplaySource
from resources.sources.replay.source import stored_index as load_index
from tests.conftest import write_archive_slice

# The module that reshapes the archive into the index (part of the cache's key).
SHAPED_BY = Path(replay_source.__file__)
# Before, during and after the 2025-11-03 games: the clock's branches (no scores yet, some snapshots).
CLOCKS = (None, "2025-11-03T18:00-05:00", "2025-11-05T12:00-05:00")


@pytest.fixture(scope="module")
def archive_root(tmp_path_factory):
    return write_archive_slice(tmp_path_factory.mktemp("index") / "archive", "2025-11-02", "2025-11-04")


def fresh_index(root) -> ReplayIndex:
    return ReplayIndex(read_archive(root, archive_fingerprint(root)))


def stored_index(root, cache) -> StoredIndex:
    """The index as a later process finds it: built and stored first if needed."""
    load_index(root, archive_fingerprint(root), cache)
    index = load_index(root, archive_fingerprint(root), cache)
    assert isinstance(index, StoredIndex)
    return index


def served(index, now=None) -> dict:
    """Every date's payloads (rows and notes) of a replay source answering from `index`."""
    source = ReplaySource(now=now)
    source._pinned = index
    dates = sorted({day for kind in KINDS.values() for day in getattr(index, kind)} | {dt.date(2025, 7, 15)})
    return {
        (day, question): getattr(source, question)(day)
        for day in dates
        for question in ("schedule", "player_boxscores", "prop_lines")
    }


def assert_serves_the_same(stored, fresh):
    for now in CLOCKS:
        expected = served(fresh, now)
        actual = served(stored, now)
        assert actual.keys() == expected.keys()
        for key, payload in expected.items():
            pd.testing.assert_frame_equal(actual[key].rows, payload.rows, obj=str(key))
            assert actual[key].notes == payload.notes, key


def test_every_date_is_served_as_the_in_memory_index_serves_it(archive_root, tmp_path):
    fresh = fresh_index(archive_root)
    stored = stored_index(archive_root, tmp_path / "cache")
    for attribute in KINDS.values():
        mapping, expected = getattr(stored, attribute), getattr(fresh, attribute)
        assert list(mapping) == list(expected) and len(mapping) == len(expected) > 0
        assert max(mapping) == max(expected) and dt.date(2025, 7, 15) not in mapping
        for day in expected:
            # The frames themselves, index labels included, not only the payloads made of them.
            pd.testing.assert_frame_equal(mapping[day], expected[day])
    assert_serves_the_same(stored, fresh)
    assert (stored.files, stored.ignored) == (fresh.archive.files, fresh.archive.ignored)
    assert stored.archive.files == fresh.archive.files  # read only when asked for


def test_a_lookup_reads_only_its_dates_file(archive_root, tmp_path):
    stored = stored_index(archive_root, tmp_path / "cache")
    for other in stored.box_by_date:
        if other != dt.date(2025, 11, 3):
            (stored.folder / date_file(other)).unlink()
    assert len(stored.box_by_date[dt.date(2025, 11, 3)]) > 0
    assert stored._fallback is None


def _truncate(path):
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _flip_a_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


def _another_dates_file(path):
    shutil.copy(path.with_name(date_file(dt.date(2025, 11, 2))), path)


@pytest.mark.parametrize("damage", [_truncate, _flip_a_byte, _another_dates_file, lambda path: path.unlink()])
def test_a_damaged_date_file_is_detected_and_the_right_rows_served(archive_root, tmp_path, damage):
    cache = tmp_path / "cache"
    stored = stored_index(archive_root, cache)
    damaged = stored.folder / date_file(dt.date(2025, 11, 3))
    damage(damaged)
    assert_serves_the_same(stored, fresh_index(archive_root))
    # The folder was rebuilt: the next process reads the date from it again.
    again = stored_index(archive_root, cache)
    assert len(again.props_by_date[dt.date(2025, 11, 3)]) > 0 and again._fallback is None
    assert [p.name for p in cache.iterdir() if "replay_index" in p.name] == [stored.folder.name]


def test_a_damaged_catalogue_is_rebuilt(archive_root, tmp_path):
    cache = tmp_path / "cache"
    stored = stored_index(archive_root, cache)
    _truncate(stored.folder / CATALOGUE)
    assert isinstance(load_index(archive_root, archive_fingerprint(archive_root), cache), ReplayIndex)
    assert_serves_the_same(stored_index(archive_root, cache), fresh_index(archive_root))


def test_a_dropped_in_file_changes_the_key(tmp_path):
    root = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    cache = tmp_path / "cache"
    before = stored_index(root, cache)
    shutil.copytree(write_archive_slice(tmp_path / "later", "2025-11-03", "2025-11-03"), root / "more")
    assert index_folder(archive_fingerprint(root), cache, SHAPED_BY) != before.folder
    after = stored_index(root, cache)
    assert dt.date(2025, 11, 3) in after.box_by_date and dt.date(2025, 11, 3) not in before.box_by_date
    assert len(list(cache.glob("replay_index-*"))) == 2


def test_the_key_covers_the_index_code(archive_root, tmp_path):
    """The folder the source uses is keyed by the reader's code, source.py (which reshapes the
    archive) and index_cache.py: a change to any of them builds a new index."""
    from resources.sources.replay.archive import READER_SOURCES

    cache = tmp_path / "cache"
    load_index(archive_root, archive_fingerprint(archive_root), cache)
    [folder] = cache.glob("replay_index-*")
    assert folder == index_folder(archive_fingerprint(archive_root), cache, SHAPED_BY)
    assert set(index_cache.index_sources(SHAPED_BY)) == {*READER_SOURCES, SHAPED_BY, Path(index_cache.__file__)}


def test_an_interrupted_build_leaves_no_folder_that_looks_complete(archive_root, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    fingerprint = archive_fingerprint(archive_root)
    written = []

    def fail_after_two(path, value):
        if len(written) == 2:
            raise OSError("disk full")
        written.append(path)
        original(path, value)

    original = index_cache._write_checked
    monkeypatch.setattr(index_cache, "_write_checked", fail_after_two)
    assert isinstance(load_index(archive_root, fingerprint, cache), ReplayIndex)
    assert not list(cache.glob("replay_index-*")) and not list(cache.glob(".replay_index-*"))
    monkeypatch.undo()
    # A killed build's hidden temporary folder is never read as the index.
    leftover = cache / f".{index_folder(fingerprint, cache, SHAPED_BY).name}.999999.tmp"
    leftover.mkdir()
    assert_serves_the_same(stored_index(archive_root, cache), fresh_index(archive_root))


def test_another_process_having_stored_the_index_first_is_fine(archive_root, tmp_path):
    cache = tmp_path / "cache"
    stored = stored_index(archive_root, cache)
    index_cache.store_index(fresh_index(archive_root), stored.folder)
    assert [p.name for p in cache.iterdir() if "replay_index" in p.name] == [stored.folder.name]
    assert_serves_the_same(stored_index(archive_root, cache), fresh_index(archive_root))


def test_only_the_most_recent_versions_are_kept(tmp_path):
    cache = tmp_path / "cache"
    for day in range(1, CACHE_FILES_KEPT + 3):
        date = f"2025-11-{day:02d}"
        root = write_archive_slice(tmp_path / f"archive{day}", date, date)
        load_index(root, archive_fingerprint(root), cache)
    assert len(list(cache.glob("replay_index-*"))) == CACHE_FILES_KEPT
