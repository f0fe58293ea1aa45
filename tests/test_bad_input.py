"""Bad input: malformed and drifted archive files fail loudly, naming the file, and lose nothing;
a missing game fails the blocking completeness check and stops everything downstream."""

import gzip

import pytest

from tests.conftest import BOX_FILE, Pipeline, read_text, write_archive_slice

DATE = "2025-11-02"


@pytest.fixture
def one_date(tmp_path):
    archive = write_archive_slice(tmp_path / "archive", DATE, DATE)
    return archive, Pipeline(tmp_path, archive)


def box_rows(pipeline) -> int:
    return int(pipeline.query(
        f"SELECT count(*) AS n FROM nba_raw.player_boxscores WHERE game_date = DATE '{DATE}'")["n"].iloc[0])


def failure_message(result) -> str:
    """Every failed step's error with its causes, as a user reads it in the run's log."""
    messages = []
    for event in result.get_step_failure_events():
        error = event.step_failure_data.error
        while error is not None:
            messages.append(error.message)
            error = error.cause
    return "\n".join(messages)


@pytest.mark.parametrize("column", ["PTS", "REB"])
def test_malformed_file_fails_naming_it_and_keeps_the_loaded_rows(one_date, column):
    archive, pipeline = one_date
    assert pipeline.run(DATE, DATE, assets=["raw_schedule", "raw_player_boxscores"]).success
    loaded = box_rows(pipeline)
    assert loaded > 100

    # A second file of the same shape whose row has a non-numeric value.
    bad = read_text(archive / BOX_FILE).head(1).assign(**{column: "twelve", "PLAYER_ID": "999999"})
    bad.to_csv(archive / "boxscores" / "late_fix.csv.gz", index=False)

    result = pipeline.run(DATE, DATE, assets=["raw_player_boxscores"])
    assert not result.success
    message = failure_message(result)
    assert "boxscores/late_fix.csv.gz" in message
    assert "twelve" in message
    assert box_rows(pipeline) == loaded  # the previous rows of the date are intact


def test_duplicate_file_fails_on_the_key_and_keeps_the_loaded_rows(one_date):
    archive, pipeline = one_date
    assert pipeline.run(DATE, DATE, assets=["raw_schedule", "raw_player_boxscores"]).success
    loaded = box_rows(pipeline)
    read_text(archive / BOX_FILE).to_csv(archive / "boxscores" / "copy.csv.gz", index=False)
    result = pipeline.run(DATE, DATE, assets=["raw_player_boxscores"])
    assert not result.success
    assert "uniqueness" in failure_message(result) and "copy.csv.gz" in failure_message(result)
    assert box_rows(pipeline) == loaded


def test_schema_drift_names_the_file_and_the_missing_columns(one_date):
    archive, pipeline = one_date
    drifted = read_text(archive / BOX_FILE).drop(columns=["PTS"])
    drifted.to_csv(archive / "boxscores" / "drifted.csv.gz", index=False)
    result = pipeline.run(DATE, DATE, assets=["raw_schedule"])
    assert not result.success
    message = failure_message(result)
    assert "drifted.csv.gz" in message and "PTS" in message


def test_truncated_gzip_names_the_file(one_date):
    archive, pipeline = one_date
    data = gzip.compress((archive / BOX_FILE).read_bytes())
    (archive / "boxscores" / "truncated.csv.gz").write_bytes(data[: len(data) // 2])
    result = pipeline.run(DATE, DATE, assets=["raw_schedule"])
    assert not result.success
    assert "truncated.csv.gz" in failure_message(result)


def test_missing_game_fails_completeness_and_blocks_downstream(tmp_path):
    # 0022500155: MIA @ LAL on 2025-11-02. Its box-score rows are missing from this archive.
    archive = write_archive_slice(tmp_path / "archive", DATE, DATE, drop_game_id="0022500155")
    pipeline = Pipeline(tmp_path, archive)
    pipeline.seed()
    result = pipeline.run(DATE, DATE)
    assert not result.success
    completeness = [e for e in result.get_asset_check_evaluations() if e.check_name == "completeness"]
    assert len(completeness) == 1 and not completeness[0].passed
    assert "0022500155" in completeness[0].description
    assert "LAL" in completeness[0].description and "MIA" in completeness[0].description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "raw_player_boxscores" in materialized
    assert not materialized & {"player_game_summary", "ml_feature_store", "player_prop_predictions",
                               "prediction_accuracy"}
