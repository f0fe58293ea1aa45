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
# Sunday to Tuesday: Monday's 05:00 model tick falls inside; the morning of Wednesday grades Tuesday.
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


# Built by the pre-game run (12:45, before the games). `make replay` builds them in the same run as
# the date's box scores, so it also knows what only the games tell: rows for the players who played
# without a line, the team and game of a player's first game of the season, names as the date's own
# box score spells them (the live day: as the sportsbook does). The live day's rows are compared with
# the replay's rows of players with a line, on what was knowable at 12:45.
PREGAME_BUILT = {
    "player_market_features",
    "market_prop_predictions",
    "market_prop_accuracy",
    "best_bets_gate",
}
# grading_coverage_daily's counts of graded picks, which follow the predictions' recommendations.
PICK_COUNTS = ("bets", "wins", "losses", "pushes")
# Known at 12:45 only from an earlier game: null in the live row for a player without one.
FROM_THE_GAME = ("game_id", "team_abbr", "opponent_abbr", "home_away", "season")


def lined(replay, frame: pd.DataFrame) -> pd.Series:
    """Whether each row of `frame` (a pre-game table of the replay) is a player-date with a line."""
    if "has_line" in frame.columns:
        return frame["has_line"].astype(bool)
    if "line" in frame.columns:
        return frame["line"].notna()
    lines = normalized(replay.query, "nba_analytics", "market_lines_consensus", ["game_date", "player_lookup"])
    keys = set(zip(lines["game_date"], lines["player_lookup"]))
    return pd.Series([k in keys for k in zip(frame["game_date"], frame["player_lookup"])], index=frame.index)


def comparable(replay, day, schema: str, name: str, key: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(live day's rows, replay's rows), aligned as described above; asserts that the rows only the
    replay has are all players without a line, and that the day has no row the replay lacks."""
    expected = normalized(replay.query, schema, name, key)
    got = normalized(day.warehouse.query, schema, name, key)
    assert len(expected) > 0 and len(got) > 0
    if name not in PREGAME_BUILT:
        return got[expected.columns], expected
    merged = expected[key].merge(got[key], how="outer", indicator=True)
    assert (merged["_merge"] != "right_only").all(), merged[merged["_merge"] == "right_only"].head()
    replay_only = expected[key].merge(got[key], how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
    if "player_lookup" in key:
        assert not lined(replay, expected[replay_only]).any(), expected[replay_only].head()
    expected = expected[~replay_only].reset_index(drop=True).drop(columns=["player_name"], errors="ignore")
    got = got.drop(columns=["player_name"], errors="ignore")[expected.columns]
    for column in FROM_THE_GAME:
        if column in expected.columns:
            expected[column] = expected[column].where(got[column].notna(), None)
            got[column] = got[column].where(got[column].notna(), None)
    return got, expected


def on_dates(frame: pd.DataFrame, dates: list[str]) -> pd.DataFrame:
    return frame[frame["game_date"].astype(str).str[:10].isin(dates)].reset_index(drop=True)


@pytest.mark.parametrize("schema,name,key", TABLES, ids=[f"{s}.{t}" for s, t, _ in TABLES])
def test_tables_equal_the_replays(staging_day, schema, name, key):
    """Every table over the three dates; the pre-game tables on the first date, whose models and
    fitted distributions both paths share (the history's)."""
    replay, day = staging_day
    got, expected = comparable(replay, day, schema, name, key)
    if name in PREGAME_BUILT:
        got, expected = on_dates(got, DATES[:1]), on_dates(expected, DATES[:1])
        assert len(expected) > 0
    elif name == "grading_coverage_daily":
        # The pick counts come from the predictions' recommendations: the first date only, as the
        # pre-game tables (the divergence of the later dates is the strict xfail below); the
        # coverage itself on every date.
        first_got, first_expected = on_dates(got, DATES[:1]), on_dates(expected, DATES[:1])
        assert len(first_expected) > 0 and len(expected) > len(first_expected)
        pd.testing.assert_frame_equal(first_got, first_expected)
        got, expected = got.drop(columns=list(PICK_COUNTS)), expected.drop(columns=list(PICK_COUNTS))
    # (values exactly; a dtype may be the nullable one where the replay's dropped rows had nulls)
    pd.testing.assert_frame_equal(got, expected, check_dtype=name not in PREGAME_BUILT)


@pytest.mark.xfail(
    strict=True,
    reason="Known divergence, reported: from the second date on, the replay's models (the Monday fit) "
    "and fitted distributions (each system's results of the 60 dates before) learn from rows of players "
    "who played without a line, rows a live day never builds (its feature store has the players with "
    "a line at 12:45); the probabilities, and so the gate's candidates, differ.",
)
@pytest.mark.parametrize("name", ["market_prop_predictions", "best_bets_gate"])
def test_pregame_tables_of_the_later_dates_equal_the_replays(staging_day, name):
    replay, day = staging_day
    schema, _, key = next(t for t in TABLES if t[1] == name)
    got, expected = comparable(replay, day, schema, name, key)
    pd.testing.assert_frame_equal(on_dates(got, DATES[1:]), on_dates(expected, DATES[1:]), check_dtype=False)


def test_exports_equal_the_replays(staging_day):
    """The results of the three dates; the predictions and best bets of the first (see above)."""
    replay, day = staging_day
    keys = [f"v1/results/{date}.json" for date in DATES] + [f"v1/best-bets/{DATES[0]}.json"]
    for key in keys:
        assert json.loads((day.data / key).read_bytes()) == json.loads((replay.root / "data" / key).read_bytes()), key

    # Predictions (every one with a line, both files): equal but for the names' spelling (above).
    def predictions(root: Path) -> list[dict]:
        items = json.loads((root / f"v1/predictions/{DATES[0]}.json").read_bytes())["predictions"]
        return [{k: v for k, v in item.items() if k != "player_name"} for item in items]

    got, expected = predictions(day.data), predictions(replay.root / "data")
    assert len(expected) > 1000 and got == expected


def test_the_report_names_every_market_and_the_credits(staging_day):
    _, day = staging_day
    from nba_assets.lib.markets import MARKET_KEYS

    for market in MARKET_KEYS:
        assert f"\n{market} " in day.text, market
    assert "credits" in day.text and "none recorded" not in day.text
