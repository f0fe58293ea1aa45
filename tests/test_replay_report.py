"""What `make replay` prints: a clean error and the summary of what landed when the first run of a
fresh folder fails."""

import argparse
import time

from tests.conftest import PROPS_FILE, Pipeline, day, read_text, write_archive_slice

DATE = "2025-11-02"


def replay_cli(pipeline: Pipeline, start: str, end: str) -> int:
    """`python -m nba_assets.cli.replay --start start --end end` on the pipeline's folder, in this
    process (the same code as the command after its argument parsing)."""
    from nba_assets.cli.replay import _replay

    pipeline._point_dbt_here()
    args = argparse.Namespace(start=day(start), end=day(end), retrain=False, downstream=False, figures=False)
    return _replay(args, pipeline.instance, pipeline.defs, time.monotonic())


def test_a_failed_first_run_prints_its_error_and_the_summary_without_a_traceback(tmp_path, capsys):
    archive = write_archive_slice(tmp_path / "archive", DATE, DATE)
    # A later snapshot whose lines do not read as numbers: the prop lines fail validation, so
    # grading never exists; the schedule and box scores load.
    bad = read_text(archive / PROPS_FILE)
    bad = bad.assign(snapshot_file="raw_20251102_180000.csv", line=bad["line"] + " pts")
    bad.to_csv(archive / "props" / "repriced.csv.gz", index=False)
    code = replay_cli(Pipeline(tmp_path, archive), DATE, DATE)
    out, err = capsys.readouterr()
    assert code == 1
    assert "step raw_prop_lines failed: nba_raw.prop_lines" in err and "repriced.csv.gz" in err
    assert "dagster._core" not in err  # the error's text, not the class path of Dagster's Failure
    assert "Traceback" not in out + err and "CatalogException" not in out + err
    # The summary shows what landed: the date's 8 games and their box scores, no lines.
    assert "history without lines: 1 dates, 8 games" in out
    assert "[replay] finished in" in out
