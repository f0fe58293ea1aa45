"""Bad input: malformed and drifted archive files fail loudly, naming the file, and lose nothing;
a missing game fails the completeness check (WARN); more than half missing trips the blocking circuit breaker."""

import gzip

import pytest

from tests.conftest import BOX_FILE, Pipeline, read_text, write_archive_slice

DATE = "2025-11-02"


@pytest.fixture
def one_date(tmp_path):
    archive = write_archive_slice(tmp_path / "archive", DATE, DATE)
    return archive, Pipeline(tmp_path, archive)


def box_rows(pipeline) -> int:
    return int(
        pipeline.query(f"SELECT count(*) AS n FROM nba_raw.player_boxscores WHERE game_date = DATE '{DATE}'")["n"].iloc[
            0
        ]
    )


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


def test_an_exact_copy_is_dropped_and_counted(one_date):
    archive, pipeline = one_date
    assert pipeline.run(DATE, DATE, assets=["raw_schedule", "raw_player_boxscores"]).success
    loaded = box_rows(pipeline)
    read_text(archive / BOX_FILE).to_csv(archive / "boxscores" / "copy.csv.gz", index=False)
    result = pipeline.run(DATE, DATE, assets=["raw_player_boxscores"])
    assert result.success
    assert box_rows(pipeline) == loaded  # the copy's rows are not loaded twice
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["files_duplicates_dropped"].value == loaded
    copy_row = next(line for line in metadata["files"].value.splitlines() if "copy.csv.gz" in line)
    assert copy_row.split(" | ")[2:7] == [
        str(loaded),
        "0",
        "0",
        str(loaded),
        "0",
    ]  # read, served, loaded, dups, rejected


def test_a_conflicting_copy_fails_naming_the_keys_and_both_files_and_keeps_the_loaded_rows(one_date):
    archive, pipeline = one_date
    assert pipeline.run(DATE, DATE, assets=["raw_schedule", "raw_player_boxscores"]).success
    loaded = box_rows(pipeline)
    box = read_text(archive / BOX_FILE)
    box.assign(PTS=(box["PTS"].astype(int) + 1).astype(str)).to_csv(archive / "boxscores" / "fixed.csv.gz", index=False)
    result = pipeline.run(DATE, DATE, assets=["raw_player_boxscores"])
    assert not result.success
    message = failure_message(result)
    assert f"{BOX_FILE} and boxscores/fixed.csv.gz" in message and "(points)" in message
    assert "game_date, player_id" in message and box["PLAYER_ID"].iloc[0] in message
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
    # Bad data is not transient: the step's retry policy does not retry it.
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]


def test_one_missing_game_warns_and_leaves_its_predictions_pending(tmp_path):
    # 0022500155: MIA @ LAL on 2025-11-02. Its box-score rows are missing from this archive (late).
    archive = write_archive_slice(tmp_path / "archive", "2025-10-30", DATE, drop_game_id="0022500155")
    pipeline = Pipeline(tmp_path, archive)
    assert pipeline.run("2025-10-30", "2025-11-01").success  # history: the baseline needs games
    result = pipeline.run(DATE, DATE)
    assert result.success  # a WARN check leaves the run green: the alert sensor reports it
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert not checks["completeness"].passed
    assert checks["completeness"].severity.value == "WARN"
    assert "0022500155" in checks["completeness"].description
    assert "LAL" in checks["completeness"].description and "MIA" in checks["completeness"].description
    assert checks["circuit_breaker"].passed  # 1 of 8 games: not an outage
    # The other games are graded; MIA and LAL players wait for their box score, not VOID.
    results = pipeline.query(
        "SELECT team_abbr IN ('MIA', 'LAL') AS late, result, count(*) AS n "
        f"FROM nba_grading.market_prop_accuracy WHERE line IS NOT NULL AND game_date = DATE '{DATE}' "
        "GROUP BY ALL"
    )
    late = results[results["late"]]
    assert set(late["result"]) == {"PENDING"} and late["n"].sum() > 0
    assert "PENDING" not in set(results[~results["late"]]["result"])


def test_circuit_breaker_halts_downstream_and_names_the_games(tmp_path):
    # Five of the eight games of 2025-11-02 without box scores: a source outage, not a late game.
    dropped = ["0022500148", "0022500149", "0022500150", "0022500151", "0022500152"]
    archive = write_archive_slice(tmp_path / "archive", DATE, DATE, drop_game_id=dropped)
    pipeline = Pipeline(tmp_path, archive)
    result = pipeline.run(DATE, DATE)
    assert not result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    breaker = checks["circuit_breaker"]
    assert not breaker.passed and breaker.severity.value == "ERROR"
    assert "2025-11-02: 5 of 8" in breaker.description
    assert all(game in breaker.description for game in dropped)
    assert "OKC vs NOP" in breaker.description or "NOP vs OKC" in breaker.description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "raw_player_boxscores" in materialized
    assert not materialized & {
        "player_game_summary",
        "player_market_features",
        "market_prop_predictions",
        "market_prop_accuracy",
    }

    # The alert names the games; the failed run is alerted too; each once.
    from dagster import build_sensor_context

    from resources.alerts import AlertChannel
    from tests.slack_standin import SlackStandIn

    with SlackStandIn() as slack:
        alerts = AlertChannel(token="fake-slack-token", base_url=slack.base_url)
        sensor = pipeline.defs.get_sensor_def("failure_alerts")
        context = build_sensor_context(
            instance=pipeline.instance, resources={"alerts": alerts}, definitions=pipeline.defs
        )
        sensor.evaluate_tick(context)
        again = sensor.evaluate_tick(
            build_sensor_context(
                instance=pipeline.instance,
                cursor=context.cursor,
                resources={"alerts": alerts},
                definitions=pipeline.defs,
            )
        )
    breaker_alerts = [m for m in slack.messages if "circuit_breaker" in m]
    assert len(breaker_alerts) == 1 and "ERROR" in breaker_alerts[0]
    assert all(game in breaker_alerts[0] for game in dropped)
    assert len([m for m in slack.messages if "Run failed" in m and "daily_pipeline" in m]) == 1
    assert again.skip_message  # nothing new, nothing sent twice


def test_alerts_go_to_the_dagster_log_without_a_slack_token(caplog):
    from resources.alerts import AlertChannel

    with caplog.at_level("WARNING"):
        assert AlertChannel(token=None).send("check `completeness` failed") == "dagster log"
    assert "check `completeness` failed" in caplog.text


def test_a_later_fetch_with_fewer_snapshots_keeps_the_loaded_lines(one_date, monkeypatch):
    # Live, a fetch after some tip-offs no longer serves those games' lines: what was loaded stays.
    _, pipeline = one_date

    def lines() -> int:
        return int(
            pipeline.query(f"SELECT count(*) AS n FROM nba_raw.prop_lines WHERE game_date = DATE '{DATE}'")["n"].iloc[0]
        )

    assert pipeline.run(DATE, DATE, assets=["raw_prop_lines"]).success
    loaded = lines()
    assert loaded > 1000
    monkeypatch.setenv("NBA_REPLAY_NOW", f"{DATE}T09:00")  # before any snapshot of the date
    assert pipeline.rebind().run(DATE, DATE, assets=["raw_prop_lines"]).success
    assert lines() == loaded
    monkeypatch.delenv("NBA_REPLAY_NOW")
    assert pipeline.rebind().run(DATE, DATE, assets=["raw_prop_lines"]).success
    assert lines() == loaded  # the same snapshots again: replaced, not duplicated
