"""The parsed replay archive is cached on disk per archive version and reader code."""

import shutil

import pandas as pd

from resources.sources.replay import archive as replay_archive
from resources.sources.replay.archive import archive_fingerprint, read_archive, read_archive_cached
from tests.conftest import write_archive_slice


def _frames(archive):
    return {kind: getattr(archive, kind).reset_index(drop=True) for kind in ("boxscores", "team_games", "prop_lines")}


def _assert_same(left, right):
    for kind, frame in _frames(left).items():
        pd.testing.assert_frame_equal(frame, _frames(right)[kind])
    assert (left.files, left.ignored) == (right.files, right.ignored)


def test_cached_read_equals_a_fresh_read_and_is_reused(tmp_path):
    root = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-03")
    cache = tmp_path / "cache"
    fresh = read_archive(root, archive_fingerprint(root))
    first = read_archive_cached(root, archive_fingerprint(root), cache)
    [entry] = cache.glob("replay_archive-*.pickle")
    second = read_archive_cached(root, archive_fingerprint(root), cache)
    _assert_same(first, fresh)
    _assert_same(second, fresh)
    assert list(cache.glob("replay_archive-*.pickle")) == [entry]


def test_a_dropped_in_file_is_read_not_served_from_the_cache(tmp_path):
    root = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    cache = tmp_path / "cache"
    before = read_archive_cached(root, archive_fingerprint(root), cache)
    later = write_archive_slice(tmp_path / "later", "2025-11-03", "2025-11-03")
    shutil.copytree(later, root / "more")
    after = read_archive_cached(root, archive_fingerprint(root), cache)
    assert len(after.boxscores) > len(before.boxscores)
    assert len(list(cache.glob("replay_archive-*.pickle"))) == 2


def test_a_damaged_cache_file_is_replaced_by_a_fresh_read(tmp_path):
    root = write_archive_slice(tmp_path / "archive", "2025-11-02", "2025-11-02")
    cache = tmp_path / "cache"
    read_archive_cached(root, archive_fingerprint(root), cache)
    [entry] = cache.glob("replay_archive-*.pickle")
    entry.write_bytes(entry.read_bytes()[:100])
    archive = read_archive_cached(root, archive_fingerprint(root), cache)
    _assert_same(archive, read_archive(root, archive_fingerprint(root)))


def test_only_the_most_recent_versions_are_kept(tmp_path):
    cache = tmp_path / "cache"
    for day in range(1, replay_archive.CACHE_FILES_KEPT + 3):
        date = f"2025-11-{day:02d}"
        root = write_archive_slice(tmp_path / f"archive{day}", date, date)
        read_archive_cached(root, archive_fingerprint(root), cache)
    assert len(list(cache.glob("replay_archive-*.pickle"))) == replay_archive.CACHE_FILES_KEPT
