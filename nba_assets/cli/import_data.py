"""`make import SRC=folder`: validates a folder of your own files into the replay archive.

    python -m nba_assets.cli.import_data SRC [--archive data/replay]

Every file of SRC (CSV, CSV.gz, JSON, JSON.gz, any depth) is read as the replay would read it
(resources/sources/replay/adapters): a file of a known shape is placed in the archive's layout under
`imported/<SRC's name>/<boxscores|props|schedule|static>/`; a file of no known shape, or one that
does not parse (drifted columns, unreadable values), is copied nowhere and listed. The archive with
the new files is then read as a whole, so duplicates across files are counted and conflicting rows
(same key, different values) stop the import naming both files. The report of every file (shape,
rows read, served, duplicates, rejected and why) is printed before anything is replayed.

Atomic: the files are staged in a hidden folder of the archive (which the replay never reads) and
renamed into place in one step; an interrupted import leaves nothing half-imported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

FOLDER_OF_KIND = {"boxscores": "boxscores", "prop_lines": "props", "team_games": "schedule", "reference": "static"}


def plan(src: Path, archive: Path) -> tuple[dict[Path, str], list[str]]:
    """{source file: its path in the archive} of the files of a known shape, and the lines
    naming each file left out and why."""
    from resources.sources.errors import SourceError
    from resources.sources.replay.adapters import is_archive_file
    from resources.sources.replay.archive import read_file
    from resources.sources.replay.report import unknown_text

    placed, left_out = {}, []
    base = Path("imported") / src.name
    for path in sorted(p for p in src.rglob("*") if p.is_file()):
        rel = path.relative_to(src)
        if not is_archive_file(path, src):
            left_out.append(f"{rel}: not a CSV(.gz) or JSON(.gz) file")
            continue
        try:
            report, _, _ = read_file(path, str(rel))
        except SourceError as err:
            left_out.append(f"{rel}: does not parse: {err}".splitlines()[0][:400])
            continue
        if report.shape is None:
            left_out.append(f"{rel}: {unknown_text(report)}")
            continue
        target = base / FOLDER_OF_KIND[report.kind] / rel
        placed[path] = str(target)
    return placed, left_out


def read_with(archive: Path, placed: dict[Path, str]):
    """The archive as it would be with the placed files: read from a mirror of links (nothing is
    copied); raises ArchiveError on conflicting rows."""
    from resources.sources.replay.archive import archive_files, archive_fingerprint, read_archive

    with tempfile.TemporaryDirectory(prefix="nba-import-") as mirror:
        root = Path(mirror)
        links = {path: str(path.relative_to(archive)) for path in archive_files(archive)} | placed
        for source, rel in links.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(source.resolve(), root / rel)
        return read_archive(root, archive_fingerprint(root))


def install(archive: Path, placed: dict[Path, str], name: str) -> Path:
    """Copies the placed files into a hidden staging folder of the archive, then renames it into
    place: all of them or none."""
    final = archive / "imported" / name
    if final.exists():
        raise FileExistsError(f"{final} exists: remove it (or rename the folder you import) first")
    staging = archive / f".import-{name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for source, rel in placed.items():
            target = staging / Path(rel).relative_to(Path("imported") / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        final.parent.mkdir(parents=True, exist_ok=True)
        os.rename(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return final


def main(argv: list[str] | None = None) -> int:
    from nba_assets.lib.paths import DEFAULT_ARCHIVE

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("src", type=Path, help="the folder of your files")
    parser.add_argument(
        "--archive", type=Path, default=Path(os.environ.get("NBA_REPLAY_ARCHIVE", DEFAULT_ARCHIVE)), help="the archive"
    )
    args = parser.parse_args(argv)
    return import_folder(args.src.resolve(), args.archive.resolve())


def import_folder(src: Path, archive: Path) -> int:
    from resources.sources.errors import SourceError
    from resources.sources.replay import report

    if not src.is_dir():
        print(f"[import] {src} is not a folder", file=sys.stderr)
        return 2
    placed, left_out = plan(src, archive)
    try:
        combined = read_with(archive, placed)
    except SourceError as err:
        print(f"[import] nothing imported: {err}", file=sys.stderr)
        return 1
    mine = [r for r in combined.report if r.file in set(placed.values())]
    print(f"[import] {len(placed)} file(s) of {src} recognised, {len(left_out)} left out; the archive with them:")
    print(report.console(mine) if mine else "(no file recognised)")
    for line in left_out:
        print(f"[import] NOT IMPORTED {line}")
    if not placed:
        return 1
    final = install(archive, placed, src.name)
    print(f"[import] imported into {final}; `make replay START=... END=...` reads them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
