"""Operations on the replay clock: schedules, freshness, alerts to a Slack stand-in, the circuit
breaker's neighbour (one late game), late-box-score retries, automatic healing, health summary.

The walk: 2025-11-02 with MIA @ LAL (0022500155) missing from the archive until the next morning.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from dagster import (
    AssetKey,
    DagsterInstance,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
    evaluate_automation_conditions,
)

from resources.alerts import AlertChannel
from tests.conftest import Pipeline, write_archive_slice
from tests.slack_standin import SlackStandIn

ET = ZoneInfo("America/New_York")
DATE = "2025-11-02"
LATE_GAME = "0022500155"  # MIA @ LAL


def et(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=ET)


def test_schedules_request_the_right_partitions():
    from nba_assets.definitions import defs

    morning = defs.get_schedule_def("morning_results_schedule")
    pregame = defs.get_schedule_def("pregame_schedule")
    weekly = defs.get_schedule_def("weekly_model_schedule")
    assert (morning.cron_schedule, pregame.cron_schedule, weekly.cron_schedule) == (
        "0 6 * * *",
        "45 12 * * *",
        "30 10 * * 1",
    )
    assert {s.execution_timezone for s in (morning, pregame, weekly)} == {"America/New_York"}

    repository = defs.get_repository_def()

    def tick(schedule, moment):
        return schedule.evaluate_tick(
            build_schedule_context(scheduled_execution_time=moment, repository_def=repository)
        )

    def requests(schedule, moment):
        return list(tick(schedule, moment).run_requests or [])

    # 06:00 ET on Nov 3 (11:00 UTC): yesterday's results. 12:45 ET: today's predictions.
    assert [r.partition_key for r in requests(morning, et("2025-11-03T06:00"))] == ["2025-11-02"]
    assert [r.partition_key for r in requests(pregame, et("2025-11-03T12:45"))] == ["2025-11-03"]
    # Just after midnight UTC is still the previous evening in New York.
    assert [r.partition_key for r in requests(pregame, dt.datetime(2025, 11, 4, 0, 30, tzinfo=dt.UTC))] == [
        "2025-11-03"
    ]
    assert [r.partition_key for r in requests(weekly, et("2025-11-03T10:30"))] == ["2025-11-03"]
    # Outside the seasons: skipped with a reason, no run.
    off = tick(morning, et("2027-01-05T06:00"))
    assert not off.run_requests and "not a partition" in off.skip_message

    morning_keys = defs.resolve_job_def("morning_results").asset_layer.selected_asset_keys
    pregame_keys = defs.resolve_job_def("pregame_predictions").asset_layer.selected_asset_keys
    assert {
        AssetKey("raw_player_boxscores"),
        AssetKey("stg_nba_raw__player_boxscores"),
        AssetKey("stg_nba_raw__schedule"),
        AssetKey("market_prop_accuracy"),
        AssetKey("grading_coverage_daily"),
        AssetKey("daily_health_summary"),
    } <= morning_keys
    assert AssetKey("market_prop_predictions") not in morning_keys
    assert {
        AssetKey("raw_prop_lines"),
        AssetKey("stg_nba_raw__prop_lines"),
        AssetKey("stg_nba_raw__schedule"),
        AssetKey("market_lines_consensus"),
        AssetKey("player_market_features"),
        AssetKey("market_models"),
        AssetKey("market_prop_predictions"),
        AssetKey("best_bets"),
    } <= pregame_keys
    # Pre-game: nothing of the results side (no box scores, no grading of a day not yet played).
    assert not pregame_keys & {
        AssetKey(name)
        for name in (
            "raw_player_boxscores",
            "stg_nba_raw__player_boxscores",
            "player_game_summary",
            "market_prop_accuracy",
        )
    }


class GameDay:
    """One pipeline, one instance, and a replay clock moved by the test."""

    def __init__(self, pipeline: Pipeline, monkeypatch, slack: SlackStandIn):
        self.pipeline, self.monkeypatch, self.slack = pipeline, monkeypatch, slack
        self.alerts = AlertChannel(token="fake-slack-token", channel="#nba-alerts", base_url=slack.base_url)
        self.cursors: dict[str, str | None] = {}
        self.automation_cursor = None

    @property
    def instance(self) -> DagsterInstance:
        return self.pipeline.instance

    def at(self, moment: str) -> "GameDay":
        self.monkeypatch.setenv("NBA_REPLAY_NOW", moment)
        self.pipeline.rebind(alerts=self.alerts)
        return self

    def run_job(self, job: str, request: RunRequest, selection=None):
        self.pipeline._point_dbt_here()
        result = self.pipeline.defs.resolve_job_def(job).execute_in_process(
            instance=self.instance,
            partition_key=request.partition_key,
            tags=dict(request.tags or {}),
            asset_selection=selection,
            raise_on_error=False,
        )
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        return result

    def schedule(self, name: str, job: str, moment: str):
        defs = self.pipeline.defs
        tick = defs.get_schedule_def(name).evaluate_tick(
            build_schedule_context(
                instance=self.instance, scheduled_execution_time=et(moment), repository_def=defs.get_repository_def()
            )
        )
        (request,) = tick.run_requests
        return self.run_job(job, request)

    def sensor(self, name: str, launch: str | None = None):
        """One tick, as the daemon runs it: cursor kept; with `launch`, its run requests are run
        as that job."""
        sensor_def = self.pipeline.defs.get_sensor_def(name)
        # Opened as a context manager: a resource with a teardown (the DuckDB warehouse's) is
        # initialized as a generator, which Dagster only allows inside one.
        with build_sensor_context(
            instance=self.instance,
            cursor=self.cursors.get(name),
            resources=self.pipeline.resources,
            definitions=self.pipeline.defs,
        ) as context:
            result = sensor_def.evaluate_tick(context)
            self.cursors[name] = result.cursor if result.cursor is not None else context.cursor
        for request in (result.run_requests or []) if launch else []:
            self.run_job(launch, request)
        return result

    def automation(self, moment: str) -> dict:
        """Automation ticks from `moment` on, one a minute, each running what it requests (as the
        daemon would), until a tick requests nothing; returns {asset: partitions} requested."""
        requested: dict[str, list[str]] = {}
        tick = et(moment)
        for _ in range(5):
            result = evaluate_automation_conditions(
                defs=self.pipeline.defs, instance=self.instance, evaluation_time=tick, cursor=self.automation_cursor
            )
            self.automation_cursor = result.cursor
            this_tick = {}
            for key in self.pipeline.defs.resolve_asset_graph().get_all_asset_keys():
                partitions = result.get_requested_partitions(key)
                if partitions:
                    this_tick[key.to_user_string()] = sorted(partitions)
            if not this_tick:
                return requested
            for partition in sorted({p for ps in this_tick.values() for p in ps}):
                keys = [AssetKey(a) for a, ps in this_tick.items() if partition in ps]
                self.run_job("daily_pipeline", RunRequest(partition_key=partition), selection=keys)
            for name, partitions in this_tick.items():
                requested[name] = sorted(set(requested.get(name, [])) | set(partitions))
            tick += dt.timedelta(minutes=1)
        raise AssertionError(f"automation did not settle: {requested}")

    def grading(self) -> dict:
        frame = self.pipeline.query(
            # Players without a known team (no earlier game in this short history) stay PENDING.
            "SELECT team_abbr IN ('MIA', 'LAL') AS late_game, result, count(*) AS n "
            f"FROM nba_grading.market_prop_accuracy WHERE game_date = DATE '{DATE}' AND line IS NOT NULL "
            "AND team_abbr IS NOT NULL GROUP BY ALL"
        )
        return {(bool(r.late_game), r.result): int(r.n) for r in frame.itertuples()}


@pytest.fixture
def game_day(tmp_path, monkeypatch):
    archive = write_archive_slice(tmp_path / "archive", "2025-10-30", DATE, drop_game_id=LATE_GAME)
    pipeline = Pipeline(tmp_path, archive)
    assert pipeline.run("2025-10-30", "2025-11-01").success  # history, every result in
    with SlackStandIn() as slack:
        yield GameDay(pipeline, monkeypatch, slack)


def test_a_late_game_is_alerted_once_then_heals_through_grading(game_day, tmp_path):
    day = game_day
    # 10:00: before any line snapshot; lines arrive during the day (snapshot time kept).
    assert day.at(f"{DATE}T10:00").pipeline.resources["nba_source"].prop_lines(dt.date(2025, 11, 2)).rows.empty

    # 13:05: the pre-game run has not happened: predictions are late, and Slack hears it once.
    assert day.at(f"{DATE}T13:05").sensor("freshness_deadlines", launch="freshness_checks").run_requests
    day.sensor("failure_alerts")
    late = [m for m in day.slack.messages if "predictions_by_1pm_et" in m]
    assert len(late) == 1 and "LATE" in late[0] and DATE in late[0]
    assert day.slack.requests[0]["authorization"] == "Bearer fake-slack-token"

    # 13:10: the pre-game run (lines posted, games not played: no box scores, no scores).
    assert day.automation(f"{DATE}T13:06") == {}  # the automation's first tick (its cursor starts)
    day.at(f"{DATE}T13:10").schedule("pregame_schedule", "pregame_predictions", f"{DATE}T12:45")
    # Nothing to heal after it: the schedule and predictions it updated are not late results (the
    # results side of a date whose games have not been played would grade nothing).
    assert day.automation(f"{DATE}T13:12") == {}
    lines = day.pipeline.query(f"SELECT count(*) AS n FROM nba_raw.prop_lines WHERE game_date = DATE '{DATE}'")
    predictions = day.pipeline.query(
        f"SELECT count(*) AS n FROM nba_predictions.market_prop_predictions WHERE game_date = DATE '{DATE}'"
    )
    assert lines["n"].iloc[0] > 1000 and predictions["n"].iloc[0] > 100
    assert (
        day.pipeline.query(
            f"SELECT count(*) AS n FROM nba_raw.schedule WHERE game_date = DATE '{DATE}' AND home_points IS NOT NULL"
        )["n"].iloc[0]
        == 0
    )
    assert day.at(f"{DATE}T13:15").sensor("freshness_deadlines", launch="freshness_checks").run_requests
    assert not day.sensor("freshness_deadlines").run_requests  # no change, no run
    assert not day.sensor("failure_alerts").run_requests

    # Next morning 06:00: results of 7 of the 8 games; MIA @ LAL has no box score yet.
    day.at("2025-11-03T06:00").schedule("morning_results_schedule", "morning_results", "2025-11-03T06:00")
    grading = day.grading()
    assert grading.get((True, "PENDING"), 0) > 0
    assert not any(result == "PENDING" for late_game, result in grading if not late_game), grading
    assert day.automation("2025-11-03T06:05") == {}  # the run already carried everything

    # The alert sensor sends the WARN completeness failure naming the game, exactly once.
    before = len(day.slack.messages)
    day.sensor("failure_alerts")
    new = day.slack.messages[before:]
    completeness = [m for m in new if "completeness" in m]
    assert len(completeness) == 1 and "WARN" in completeness[0] and LATE_GAME in completeness[0]
    day.sensor("failure_alerts")
    assert len(day.slack.messages) == before + len(new)  # nothing twice

    # The health summary of the morning run shows the day's numbers.
    summary = health_summary(day)
    assert f"| {DATE} | 7/8 games (88%)" in summary
    assert "raw_player_boxscores` completeness" in summary

    # 07:00: the late-box-score sensor retries the date (still missing: no heal yet).
    retry = day.at("2025-11-03T07:00").sensor("late_box_scores")
    (request,) = retry.run_requests
    assert request.partition_key == DATE and LATE_GAME in request.tags["nba/missing_games"]
    day.run_job("daily_pipeline", request, selection=[AssetKey("raw_player_boxscores")])
    # The retry re-materialized the date (without the game): the results side re-ran, unchanged.
    assert "market_prop_accuracy" in day.automation("2025-11-03T07:05")
    assert day.grading().get((True, "PENDING"), 0) > 0

    # 08:00: the game has arrived in the source. The next retry loads it, and the automation
    # carries the date through the game summaries, grading and the results export by itself.
    write_archive_slice(tmp_path / "archive", "2025-10-30", DATE)
    retry = day.at("2025-11-03T08:00").sensor("late_box_scores")
    (request,) = retry.run_requests
    assert request.tags["nba/late_box_scores_attempt"] == "2"
    day.run_job("daily_pipeline", request, selection=[AssetKey("raw_player_boxscores")])
    healed = day.automation("2025-11-03T08:05")
    assert healed == {
        name: [DATE]
        for name in (
            "stg_nba_raw__player_boxscores",
            "player_game_summary",
            "market_prop_accuracy",
            "grading_coverage_daily",
            "export_results",
        )
    }
    grading = day.grading()
    assert not any(result == "PENDING" for _, result in grading)
    # The late game's players are graded now: played (a result against the line: with this short a
    # history no system has probabilities yet, so their rows are PASS, not a pick) or VOID.
    assert sum(n for (late, result), n in grading.items() if late and result in ("WIN", "LOSS", "PUSH", "PASS")) > 0
    coverage = day.pipeline.query(
        f"SELECT market, coverage_pct FROM nba_grading.grading_coverage_daily WHERE game_date = DATE '{DATE}'"
    )
    assert len(coverage) == 9 and (coverage["coverage_pct"] == 100.0).all()  # every market, yes/no ones included
    assert not day.at("2025-11-03T09:00").sensor("late_box_scores").run_requests  # nothing left
    assert f"| {DATE} | 8/8 games (100%)" in health_summary(day)


def health_summary(day: GameDay) -> str:
    result = day.run_job("daily_pipeline", RunRequest(partition_key=DATE), selection=[AssetKey("daily_health_summary")])
    (materialization,) = result.asset_materializations_for_node("daily_health_summary")
    return materialization.metadata["summary"].value


def test_retries_stop_and_report_permanent_failure_once(game_day):
    from nba_assets.defs.operations.late_data import MAX_ATTEMPTS

    day = game_day.at("2025-11-03T06:00")
    day.schedule("morning_results_schedule", "morning_results", "2025-11-03T06:00")
    day.at("2025-11-03T07:00")
    day.cursors["late_box_scores"] = f'{{"attempts": {{"{DATE}": {MAX_ATTEMPTS}}}, "given_up": []}}'
    before = len(day.slack.messages)
    assert isinstance(day.sensor("late_box_scores").skip_message, str)
    permanent = day.slack.messages[before:]
    assert len(permanent) == 1 and "Permanently failed" in permanent[0] and LATE_GAME in permanent[0]
    day.at("2025-11-03T08:00").sensor("late_box_scores")
    assert len(day.slack.messages) == before + 1  # reported once, not retried


def test_a_date_whose_run_is_in_flight_is_looked_at_next_tick(game_day):
    """A tick while a run of the date is in flight (the 06:00 run has loaded the final schedule but
    not yet the box scores) does not re-request it, nor count an attempt; once the run ended it does."""
    from dagster import DagsterRunStatus

    day = game_day.at("2025-11-03T06:00")
    day.schedule("morning_results_schedule", "morning_results", "2025-11-03T06:00")
    run = day.instance.create_run_for_job(
        job_def=day.pipeline.defs.resolve_job_def("morning_results"),
        tags={"dagster/partition": DATE},
        status=DagsterRunStatus.STARTED,
    )
    waiting = day.at("2025-11-03T07:00").sensor("late_box_scores")
    assert not waiting.run_requests and f"a run of {DATE} is in flight" in waiting.skip_message
    day.instance.report_run_failed(run)
    (request,) = day.sensor("late_box_scores").run_requests
    assert request.partition_key == DATE and request.tags["nba/late_box_scores_attempt"] == "1"
