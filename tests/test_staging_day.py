"""Three simulated days through the daemon (nba_assets/cli/staging_day.py, `make staging-day`): the
schedules' own run requests for each tick queued and launched by the daemon of the staging layout
(PostgreSQL instance, code server, daemon, webserver: separate processes), the live sources over
HTTP against the APIs' stand-ins, the sensors live, alerts to a Slack stand-in; faults injected
(a 429 storm, a 5xx, one box score published late). The tables equal a `make replay` of the same
dates on the same archive and history: that comparison is the assertion."""

import datetime as dt
import json
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import Pipeline, write_archive_slice
from tests.slack_standin import SlackStandIn
from tests.test_ui_backfill import TABLES, copy_folder

HISTORY = ("2025-10-21", "2025-11-01")
# Sunday to Tuesday: Monday's 10:30 model tick falls inside; the morning of Wednesday grades Tuesday.
FIRST, DAYS = dt.date(2025, 11, 2), 3
LAST = FIRST + dt.timedelta(days=DAYS - 1)
WINDOW = (FIRST.isoformat(), LAST.isoformat())
DATES = [(FIRST + dt.timedelta(days=n)).isoformat() for n in range(DAYS)]
# Columns that name where a row came from, not what it says: the archive's file names in a replay,
# the request in a live fetch.
PROVENANCE = {"source_file", "snapshot_file"}


def live_to_nba_id(game_id: str) -> str:
    """The stand-in serves NBA.com id 0022500148 as balldontlie game 22500148, which the live source
    names "9" + nine digits (resources/sources/live/balldontlie.py): back to the NBA.com id."""
    return "0" + game_id[1:] if isinstance(game_id, str) and game_id.startswith("9") else game_id


def normalized(query, schema: str, name: str, key: list[str]) -> pd.DataFrame:
    frame = query(f"SELECT * FROM {schema}.{name} WHERE game_date BETWEEN ? AND ?", [FIRST, LAST])
    frame = frame.drop(columns=[c for c in frame.columns if c in PROVENANCE])
    if "game_id" in frame.columns:
        frame["game_id"] = frame["game_id"].map(live_to_nba_id)
    return frame.sort_values([k for k in key if k not in PROVENANCE]).reset_index(drop=True)


@pytest.fixture(scope="module")
def staging_day(tmp_path_factory):
    from nba_assets.cli.staging import missing

    reason = missing()
    if reason:
        pytest.skip(f"the staging layout cannot run here: {reason}")
    pytest.importorskip("dagster_postgres", reason="dagster-postgres is not installed (requirements.lock)")
    from nba_assets.cli.staging_day import run_staging_day
    from resources.warehouse.duckdb_warehouse import DuckDBWarehouse

    root = tmp_path_factory.mktemp("staging_day")
    archive = write_archive_slice(root / "archive", HISTORY[0], (LAST + dt.timedelta(days=1)).isoformat())
    history = Pipeline(root / "history", archive)
    assert all(result.success for result in history.replay(*HISTORY))
    copy_folder(root / "history", root / "replay")
    replay = Pipeline(root / "replay", archive)
    assert all(result.success for result in replay.replay(*WINDOW))

    # PostgreSQL runs as its own user: the layout's folder must be reachable by it (pytest's is not).
    layout_root = Path(tempfile.mkdtemp(prefix="nba-staging-day-"))
    layout_root.chmod(0o755)
    try:
        shutil.copytree(root / "history" / "data", layout_root / "data")
        shutil.copy(root / "history" / "warehouse.duckdb", layout_root / "data" / "warehouse.duckdb")
        with SlackStandIn() as slack:
            day = run_staging_day(
                layout_root,
                archive,
                FIRST,
                DAYS,
                faults=True,
                durable=False,
                extra_env={"SLACK_BOT_TOKEN": "standin-token", "SLACK_API_URL": slack.base_url},
            )
            day.messages = list(slack.messages)
        print(day.text)
        day.warehouse = DuckDBWarehouse(database=str(layout_root / "data" / "warehouse.duckdb"))
        day.data = layout_root / "data"
        shutil.copytree(layout_root / "data", root / "staging_data")  # kept for a failing test's reader
        yield replay, day
    finally:
        shutil.rmtree(layout_root, ignore_errors=True)


def runs_by_origin(day) -> dict[str, list]:
    out: dict[str, list] = {}
    for record in day.runs:
        run = record.dagster_run
        origin = run.tags.get("dagster/schedule_name") or run.tags.get("dagster/sensor_name") or "other"
        out.setdefault(origin, []).append(run)
    return out


def test_every_schedule_tick_ran_through_the_daemon_and_succeeded(staging_day):
    _, day = staging_day
    assert day.report.runs and not day.report.failed, day.report.runs
    origins = runs_by_origin(day)
    schedules = ("pregame_schedule", "morning_results_schedule", "weekly_model_schedule")
    partitions = {name: sorted(r.tags["dagster/partition"] for r in origins.get(name, [])) for name in schedules}
    assert partitions["pregame_schedule"] == DATES
    assert partitions["morning_results_schedule"] == ["2025-11-01", *DATES]
    assert partitions["weekly_model_schedule"] == ["2025-11-03"]
    # Launched by the daemon's run launcher (the queue), never executed in this process.
    for name in ("pregame_schedule", "morning_results_schedule", "weekly_model_schedule"):
        for run in origins[name]:
            assert run.status.value == "SUCCESS", (name, run.run_id)
            assert run.tags.get("nba/simulated_tick"), run.tags


def test_the_late_game_healed_through_the_sensors(staging_day):
    """The game published an hour late: re-requested by late_box_scores, its date re-graded by the
    healing automation, nothing missing at the end."""
    _, day = staging_day
    origins = runs_by_origin(day)
    late = [r for r in origins.get("late_box_scores", []) if r.tags["dagster/partition"] == "2025-11-03"]
    assert late and all(r.status.value == "SUCCESS" for r in late)
    healed = [r for r in origins.get("heal_late_data", []) if r.tags.get("dagster/partition") == "2025-11-03"]
    assert healed and all(r.status.value == "SUCCESS" for r in healed)
    missing = day.warehouse.query(
        "SELECT s.game_id FROM nba_raw.schedule s LEFT JOIN nba_raw.player_boxscores b USING (game_id) "
        "WHERE s.game_date BETWEEN ? AND ? AND s.home_points IS NOT NULL GROUP BY s.game_id "
        "HAVING count(b.player_id) = 0",
        [FIRST, LAST],
    )
    assert missing.empty, missing


def test_faults_were_served_and_alerts_reached_slack(staging_day):
    _, day = staging_day
    assert len(day.faults) == 3
    assert any("completeness" in m and "2025-11-03" in m for m in day.messages), day.messages
    assert any(m.startswith("# NBA props health") for m in day.messages), day.messages


def on_dates(frame: pd.DataFrame, dates: list[str]) -> pd.DataFrame:
    return frame[frame["game_date"].astype(str).str[:10].isin(dates)].reset_index(drop=True)


@pytest.mark.parametrize("schema,name,key", TABLES, ids=[f"{s}.{t}" for s, t, _ in TABLES])
def test_tables_equal_the_replays(staging_day, schema, name, key):
    """Every table over the three dates, row for row. The pre-game tables (features, predictions,
    their grading, the best-bets gate) too, although the live day builds a date's at 12:45, before
    its games, and the replay in the same run as its box scores: a pre-game table holds only what
    was knowable before tip-off (the feature store's rows: earlier box scores, the schedule, the
    date's lines), and the week's models (Monday 10:30, after Sunday's box scores) and each
    system's fitted distributions learn from the same rows on both paths."""
    replay, day = staging_day
    expected = normalized(replay.query, schema, name, key)
    got = normalized(day.warehouse.query, schema, name, key)
    assert len(expected) > 0 and set(DATES) <= set(expected["game_date"].astype(str).str[:10])
    pd.testing.assert_frame_equal(got[expected.columns], expected)


def test_exports_equal_the_replays(staging_day):
    """The predictions, best bets and results of the three dates, file for file."""
    replay, day = staging_day
    for date in DATES:
        for kind in ("predictions", "best-bets", "results"):
            key = f"v1/{kind}/{date}.json"
            got, expected = (json.loads((root / key).read_bytes()) for root in (day.data, replay.root / "data"))
            assert got == expected, key
        predictions = json.loads((day.data / f"v1/predictions/{date}.json").read_bytes())["predictions"]
        assert len(predictions) > 500, date


def test_the_report_names_every_market_and_the_credits(staging_day):
    _, day = staging_day
    from nba_assets.lib.markets import MARKET_KEYS

    for market in MARKET_KEYS:
        assert f"\n{market} " in day.text, market
    assert "credits" in day.text and "none recorded" not in day.text
