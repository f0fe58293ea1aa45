"""The stand-ins of the live APIs (resources/sources/standin/) and the live sources run against them
over real HTTP: documented shapes, keys, pagination, usage headers, the simulated clock, faults;
every market's lines and the box scores equal to what the replay source serves for the date.

Waits the live sources would sleep (Retry-After, backoff, pacing) are recorded, not slept; the
timeout fault is real (the client gives up after 2 s, the server holds 6 s).
"""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

from nba_assets.lib.identity import player_lookup
from nba_assets.lib.raw_tables import BOX_SCORE_COUNTS, PLAYER_BOXSCORES, PROP_LINES, validate
from resources.sources.errors import SourceError
from resources.sources.live.pacing import Pacer
from resources.sources.live.source import DEFAULT_ODDS_MARKETS, LiveSource
from resources.sources.replay.source import ReplaySource
from resources.sources.standin.server import StandinServer
from tests.conftest import ARCHIVE, ROOT

DOCS = Path(__file__).resolve().parent / "recorded" / "docs"
DAY = dt.date(2025, 11, 2)
PREGAME = "2025-11-02T12:45"  # the pregame schedule's tick, US Eastern (17:45Z)
MORNING = "2025-11-03T06:00"  # the morning after: box scores published
NINE = DEFAULT_ODDS_MARKETS.split(",")
LINE_KEY = ["commence_time", "home_team_abbr", "away_team_abbr", "bookmaker", "market", "player_name", "line"]
PRICES = ["over_odds", "under_odds"]


@pytest.fixture(scope="module")
def running():
    with StandinServer(ARCHIVE, PREGAME) as server:
        yield server


@pytest.fixture
def server(running):
    running.reset(PREGAME)
    return running


@pytest.fixture
def sleeps() -> list:
    return []


def live_for(server: StandinServer, sleeps: list, **config) -> LiveSource:
    source = LiveSource(
        balldontlie_api_key=server.keys["balldontlie"],
        odds_api_key=server.keys["odds"],
        balldontlie_base_url=server.balldontlie_url,
        odds_api_base_url=server.odds_api_url,
        **{
            "max_attempts": 6,
            "backoff_initial_seconds": 0,
            "jitter_seconds": 0,
            "timeout_seconds": 5,
            "balldontlie_requests_per_minute": 1e9,
            "odds_api_requests_per_minute": 1e9,
            **config,
        },
    )
    source._sleep = sleeps.append
    source._now = server.clock.now  # the operations clock and the APIs' clock agree
    return source


def get(server: StandinServer, url: str, **params):
    headers = {"Authorization": server.keys["balldontlie"]} if "/balldontlie/" in url else {}
    if "/odds-api/" in url:
        params.setdefault("apiKey", server.keys["odds"])
    return httpx.get(url, params=params, headers=headers, timeout=10)


def fields(value) -> object:
    """The field names of a JSON value, recursively (lists by their first element)."""
    if isinstance(value, dict):
        return {key: fields(item) for key, item in value.items()}
    if isinstance(value, list):
        return [fields(value[0])] if value else []
    return None


def replay_at(moment: str) -> ReplaySource:
    return ReplaySource(archive_dir=str(ARCHIVE), now=moment)


def as_set(frame: pd.DataFrame, columns: list[str]) -> set:
    frame = frame[columns].astype({c: float for c in ("line", *PRICES) if c in columns})
    return set(map(tuple, frame.astype(object).where(frame.notna(), None).values))


# --- the stand-in against the APIs' documentation ----------------------------------------------


def test_responses_have_the_documented_shapes(server):
    games = get(server, f"{server.balldontlie_url}/v1/games", **{"dates[]": "2025-11-02", "per_page": 5}).json()
    assert fields(games) == fields(json.loads((DOCS / "balldontlie_games.json").read_text()))
    server.clock.set(MORNING)
    stats = get(server, f"{server.balldontlie_url}/v1/stats", **{"dates[]": "2025-11-02", "per_page": 25}).json()
    assert fields(stats) == fields(json.loads((DOCS / "balldontlie_stats.json").read_text()))

    server.clock.set(PREGAME)
    events = get(
        server, f"{server.odds_api_url}/v4/sports/basketball_nba/events", commenceTimeFrom="2025-11-02T04:00:00Z"
    ).json()
    assert fields(events) == fields(json.loads((DOCS / "odds_api_events.json").read_text()))
    odds = get(
        server,
        f"{server.odds_api_url}/v4/sports/basketball_nba/events/{events[0]['id']}/odds",
        regions="us",
        markets="player_points,player_double_double",
        oddsFormat="american",
    ).json()
    documented = json.loads((DOCS / "odds_api_event_odds.json").read_text())
    assert fields({k: v for k, v in odds.items() if k != "bookmakers"}) == fields(
        {k: v for k, v in documented.items() if k != "bookmakers"}
    )
    doc_book, book = documented["bookmakers"][0], odds["bookmakers"][0]
    assert set(book) == set(doc_book)
    by_key = {m["key"]: m for m in book["markets"]}
    for doc_market in doc_book["markets"]:
        market = by_key[doc_market["key"]]
        assert set(market) == set(doc_market)
        assert {tuple(sorted(o)) for o in market["outcomes"]} == {tuple(sorted(o)) for o in doc_market["outcomes"]}


def test_keys_are_checked_and_a_wrong_key_is_not_retried(server, sleeps):
    games_url = f"{server.balldontlie_url}/v1/games"
    assert httpx.get(games_url, params={"dates[]": "2025-11-02"}).status_code == 401
    assert httpx.get(games_url, params={"dates[]": "2025-11-02"}, headers={"Authorization": "nope"}).status_code == 401
    events_url = f"{server.odds_api_url}/v4/sports/basketball_nba/events"
    assert httpx.get(events_url).json()["error_code"] == "INVALID_KEY"
    assert httpx.get(events_url, params={"apiKey": "nope"}).status_code == 401

    wrong = live_for(server, sleeps).model_copy(update={"odds_api_key": "not-the-key"})
    wrong._now = server.clock.now
    with pytest.raises(SourceError, match=r"apiKey=REDACTED.*HTTP 401 \(not retried"):
        wrong.prop_lines(DAY)
    assert len(server.log("odds")) == 3  # the two requests above, then one from the source: not retried


def test_cursor_pagination_serves_every_row_once(server):
    server.clock.set(MORNING)
    url, seen, cursor, pages = f"{server.balldontlie_url}/v1/stats", [], None, 0
    while True:
        params = {"dates[]": "2025-11-02", "per_page": 25, **({"cursor": cursor} if cursor else {})}
        body = get(server, url, **params).json()
        pages += 1
        assert len(body["data"]) <= 25 and body["meta"]["per_page"] == 25
        seen += [row["id"] for row in body["data"]]
        cursor = body["meta"].get("next_cursor")
        if cursor is None:
            break
        assert cursor == body["data"][-1]["id"]
    assert pages == 8 and len(seen) == len(set(seen)) == 182 and seen == sorted(seen)
    assert get(server, url, **{"dates[]": "2025-11-02", "per_page": 500}).json()["meta"]["per_page"] == 100


def test_usage_headers_and_the_price_of_a_request(server):
    events = get(server, f"{server.odds_api_url}/v4/sports/basketball_nba/events")
    assert events.headers["x-requests-last"] == "0" and events.headers["x-requests-used"] == "0"
    assert events.headers["date"] == "Sun, 02 Nov 2025 17:45:00 GMT"  # the simulated time
    event = events.json()[0]["id"]
    url = f"{server.odds_api_url}/v4/sports/basketball_nba/events/{event}/odds"
    one = get(server, url, regions="us", markets="player_points,player_rebounds", oddsFormat="american")
    assert one.headers["x-requests-last"] == "2"  # markets returned x regions
    two = get(server, url, regions="us,uk", markets="player_points,player_rebounds")
    assert (two.headers["x-requests-last"], two.headers["x-requests-used"]) == ("4", "6")
    assert int(two.headers["x-requests-remaining"]) == 20_000 - 6
    american = one.json()["bookmakers"][0]["markets"][0]["outcomes"][0]["price"]
    decimal = two.json()["bookmakers"][0]["markets"][0]["outcomes"][0]["price"]  # the API's default format
    assert decimal == pytest.approx(1 + american / 100 if american > 0 else 1 + 100 / abs(american), abs=1e-4)


def test_lines_follow_the_simulated_clock(server):
    url = f"{server.odds_api_url}/v4/sports/basketball_nba/events"
    window = {"commenceTimeFrom": "2025-11-02T04:00:00Z", "commenceTimeTo": "2025-11-03T04:59:59Z"}
    server.clock.set("2025-11-02T09:00")  # before any snapshot of the date
    events = get(server, url, **window).json()
    assert len(events) == 8
    odds = get(server, f"{url}/{events[0]['id']}/odds", regions="us", markets=DEFAULT_ODDS_MARKETS).json()
    assert odds["bookmakers"] == []
    server.clock.set("2025-11-02T15:31")  # NOP @ OKC tipped off at 15:30 ET: no pre-game lines any more
    okc = next(e for e in get(server, url, **window).json() if e["home_team"] == "Oklahoma City Thunder")
    assert get(server, f"{url}/{okc['id']}/odds", regions="us", markets="player_points").json()["bookmakers"] == []
    server.clock.advance(3 * 3600)  # over: the event is no longer listed
    assert okc["id"] not in {e["id"] for e in get(server, url, **window).json()}


def test_box_scores_are_published_the_next_morning_and_a_late_game_later(server):
    url, params = f"{server.balldontlie_url}/v1/stats", {"dates[]": "2025-11-02", "per_page": 100}
    server.clock.set("2025-11-03T05:59")
    assert get(server, url, **params).json()["data"] == []
    games = get(server, f"{server.balldontlie_url}/v1/games", **{"dates[]": "2025-11-02"}).json()["data"]
    assert {g["status"] for g in games} == {"4th Qtr"}
    server.faults.late_box_score("0022500148", hours=3)  # NOP @ OKC
    server.clock.set(MORNING)
    rows = get(server, url, **params).json()["data"]
    assert len(rows) == 100 and 22500148 not in {r["game"]["id"] for r in rows}
    assert {g["status"] for g in get(server, f"{server.balldontlie_url}/v1/games", **params).json()["data"]} == {
        "Final"
    }
    server.clock.advance(3 * 3600)
    rows = get(server, url, **params).json()["data"] + get(server, url, **params, cursor=0).json()["data"]
    assert 22500148 in {r["game"]["id"] for r in rows}


# --- the live sources against the stand-in -------------------------------------------------------


def test_every_market_lands_with_the_replay_rows(server, sleeps):
    """At 11:00 ET only the 14:5x UTC threes snapshot exists: live == replay, row for row. At 12:45
    the 17:00 UTC snapshot of every market is out too: the replay serves both snapshots (history),
    a live API the books' current lines, so the 17:00 lines replace the earlier threes lines."""
    server.clock.set("2025-11-02T11:00")
    live = live_for(server, sleeps)
    early = live.prop_lines(DAY).rows
    replay_early = replay_at("2025-11-02T11:00").prop_lines(DAY).rows
    assert len(early) == len(replay_early) == 658
    assert as_set(early, LINE_KEY + PRICES) == as_set(replay_early, LINE_KEY + PRICES)
    # One last_update per bookmaker market in the API: the latest of the archive's per-row times.
    latest = replay_early.groupby(["home_team_abbr", "bookmaker", "market"])["snapshot_time"].max()
    served = early.groupby(["home_team_abbr", "bookmaker", "market"])["snapshot_time"].max()
    pd.testing.assert_series_equal(served.sort_index(), latest.sort_index(), check_dtype=False)

    server.clock.set(PREGAME)
    before = server.credits_used
    rows = live.prop_lines(DAY).rows
    replay = replay_at(PREGAME).prop_lines(DAY).rows
    assert len(replay) == 6656 and len(rows) == 5998
    current = replay[replay["snapshot_file"] == "raw_20251102_170000.csv"]
    assert len(current) == 5998 and as_set(rows, LINE_KEY + PRICES) == as_set(current, LINE_KEY + PRICES)
    assert as_set(rows, ["event_id", *LINE_KEY]) == as_set(current, ["event_id", *LINE_KEY])
    assert set(rows["snapshot_time"]) == {pd.Timestamp("2025-11-02T17:00Z")}
    assert sorted(rows["market"].unique()) == sorted(NINE)
    assert rows["market"].value_counts().to_dict() == current["market"].value_counts().to_dict()
    doubles = rows[rows["market"].isin(["player_double_double", "player_triple_double"])]
    assert len(doubles) == 521 and doubles[["line", *PRICES]].isna().all().all()  # as the archive has them
    typed = validate(
        PROP_LINES,
        rows.assign(player_lookup=rows["player_name"].map(player_lookup))[list(PROP_LINES.column_types)],
        DAY,
        DAY + dt.timedelta(days=1),
        ["stand-in"],
    )
    assert len(typed) == 5998

    # Credits: the sum of x-requests-last is what the stand-in charged. Each fetch is estimated at
    # 8 events x 9 markets x 1 region; charged per market returned (at 11:00 only threes; at 12:45
    # one game has no steals line).
    usage = live.usage_metadata()
    assert usage["odds_api_event_requests"] == 8 + 8
    assert usage["odds_api_credits_spent"] == server.credits_used == 8 + 71
    assert server.credits_used - before == 71 and usage["odds_api_credits_estimate"] == 72 + 72


def test_box_scores_and_schedule_equal_the_replay_across_pages(server, sleeps):
    server.clock.set(MORNING)
    live = live_for(server, sleeps)
    schedule = live.schedule(DAY).rows
    replay_schedule = replay_at(MORNING).schedule(DAY).rows
    key = ["home_team_abbr", "away_team_abbr", "home_points", "away_points", "season", "season_type"]
    assert sorted(map(tuple, schedule[key].astype(str).values)) == sorted(
        map(tuple, replay_schedule[key].astype({"home_points": int, "away_points": int}).astype(str).values)
    )
    # Live game ids are "9" + balldontlie's id, here the NBA.com id as a number.
    assert sorted(schedule["game_id"]) == sorted("9" + g[1:] for g in replay_schedule["game_id"])

    box = live.player_boxscores(DAY).rows
    stats_requests = server.log("balldontlie", "/v1/stats")
    first_page = get(server, f"{server.balldontlie_url}/v1/stats", **{"dates[]": "2025-11-02", "per_page": 100})
    assert len(stats_requests) == 2 and "cursor" not in stats_requests[0]["query"]
    assert stats_requests[1]["query"]["cursor"] == [str(first_page.json()["meta"]["next_cursor"])]
    replay = replay_at(MORNING).player_boxscores(DAY).rows
    assert len(box) == len(replay) == 182
    columns = ["player_id", "team_abbr", "opponent_abbr", "home_away", "minutes", *BOX_SCORE_COUNTS]
    mine = box[columns].astype(str).replace({"None": "nan", r"\.0$": ""}, regex=True).set_index("player_id")
    theirs = replay[columns].astype(str).replace({"None": "nan", "<NA>": "nan", r"\.0$": ""}, regex=True)
    pd.testing.assert_frame_equal(mine.sort_index(), theirs.set_index("player_id").sort_index())
    validate(
        PLAYER_BOXSCORES,
        box.assign(player_lookup=box["player_name"].map(player_lookup))[list(PLAYER_BOXSCORES.column_types)],
        DAY,
        DAY + dt.timedelta(days=1),
        ["stand-in"],
    )


def test_a_429_storm_a_5xx_and_a_timeout_are_recovered_with_nothing_lost_or_duplicated(server, sleeps):
    clean = live_for(server, sleeps).prop_lines(DAY).rows
    clean_credits = server.credits_used
    server.clock.set(MORNING)
    clean_box = live_for(server, sleeps).player_boxscores(DAY).rows
    server.requests.clear()
    sleeps.clear()

    server.faults.add(kind="429", api="odds", path="/odds", times=4, retry_after=2)
    server.faults.add(kind="5xx", api="balldontlie", path="/v1/stats", times=1, status=503)
    server.faults.add(kind="timeout", api="balldontlie", path="/v1/stats", times=1, hold_seconds=6)
    live = live_for(server, sleeps, timeout_seconds=2)  # generous: a loaded machine answers slowly
    box = live.player_boxscores(DAY).rows
    server.clock.set(PREGAME)
    rows = live.prop_lines(DAY).rows

    assert [f["kind"] for f in server.faults.applied] == ["5xx", "timeout", "429", "429", "429", "429"]
    assert sleeps.count(2.0) == 4  # Retry-After honoured, each time
    statuses = [r["status"] for r in server.log("odds", "/odds")]
    assert statuses.count(429) == 4 and statuses.count(200) == 8
    pd.testing.assert_frame_equal(box.drop(columns="source_file"), clean_box.drop(columns="source_file"))
    assert len(rows) == len(clean) and as_set(rows, LINE_KEY + PRICES) == as_set(clean, LINE_KEY + PRICES)
    assert not rows.duplicated(LINE_KEY).any()
    assert server.credits_used - clean_credits == 71  # the refused requests cost nothing, none twice


def test_both_sources_are_paced_to_the_published_limits(server):
    defaults = LiveSource(balldontlie_api_key="k", odds_api_key="k")
    assert (defaults.balldontlie_requests_per_minute, defaults.odds_api_requests_per_minute) == (60, 1800)

    ticks = iter([0.0, 0.2, 0.3, 5.0])
    waits: list = []
    pacer = Pacer(60, sleep=waits.append, clock=lambda: next(ticks))
    for _ in range(4):
        pacer.wait()
    assert waits == [pytest.approx(0.8), pytest.approx(1.7)]  # 1 s apart; after a pause, no wait

    server.clock.set(MORNING)
    live = live_for(server, [], balldontlie_requests_per_minute=60)
    paced: list = []
    live._pace_sleep, live._pace_clock = paced.append, lambda: 0.0  # time stands still: waits add up
    live.player_boxscores(DAY)  # three requests: games, stats page 1, stats page 2
    assert paced == [1.0, 2.0]  # starts 1 s apart: 60 a minute


def test_the_budget_stops_before_any_billed_request_and_the_asset_writes_nothing(tmp_path, monkeypatch, server):
    """raw_prop_lines on the stand-in: credits as metadata; then a run the daily budget cannot pay
    for fails naming the budget and the estimate, requests no odds and leaves the loaded rows."""
    from dagster import DagsterInstance, materialize

    from nba_assets.defs.ingest.raw import raw_prop_lines
    from resources.environments import local_resources

    monkeypatch.setenv("NBA_REPLAY_NOW", PREGAME)  # the operations clock, as staging sets it
    resources = local_resources(data_dir=tmp_path / "data", duckdb_path=tmp_path / "w.duckdb", archive_dir=ARCHIVE)
    live = live_for(server, [], odds_daily_credit_budget=100)
    resources = {k: resources[k] for k in ("warehouse", "landing")} | {"nba_source": live}
    instance = DagsterInstance.ephemeral()

    first = materialize([raw_prop_lines], resources=resources, partition_key="2025-11-02", instance=instance)
    assert first.success
    metadata = first.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["odds_api_credits_spent"].value == 71 == server.credits_used
    assert metadata["odds_api_credits_estimate"].value == 72
    assert metadata["odds_api_daily_credit_budget"].value == 100
    assert metadata["odds_api_credits_remaining"].value == 20_000 - 71
    count = "SELECT count(*) AS n FROM nba_raw.prop_lines"
    loaded = int(resources["warehouse"].query(count)["n"].iloc[0])
    landing = next((tmp_path / "data").rglob("2025-11-02.csv.gz"))
    landed = landing.read_bytes()
    assert loaded == 5998

    server.clock.advance(60)
    monkeypatch.setenv("NBA_REPLAY_NOW", "2025-11-02T12:46")
    requests_before = len(server.log("odds", "/odds"))
    second = materialize(
        [raw_prop_lines], resources=resources, partition_key="2025-11-02", instance=instance, raise_on_error=False
    )
    assert not second.success
    error = second.get_step_failure_events()[0].step_failure_data.error.message
    assert "daily budget of 100 credits" in error and "= 72 credits" in error and "71 already spent" in error
    assert len(server.log("odds", "/odds")) == requests_before  # no event-odds request was made
    assert int(resources["warehouse"].query(count)["n"].iloc[0]) == loaded
    assert landing.read_bytes() == landed


def test_the_live_sources_can_follow_the_stand_ins_clock(server, monkeypatch):
    """What staging's processes do: the environment from live_source_env(), no clock of their own."""
    from resources.sources.live.source import live_source_from_env

    for name, value in server.live_source_env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NBA_REPLAY_NOW", raising=False)
    live = live_source_from_env().process_config_and_initialize()
    assert live.clock_url == f"{server.admin_url}/clock"
    assert len(live.prop_lines(DAY).rows) == 5998  # 12:45 ET on the date, not the wall clock's today
    server.clock.set(MORNING)
    with pytest.raises(SourceError, match=r"lines of 2025-11-02 \(before today, 2025-11-03"):
        live.prop_lines(DAY)


def test_the_stand_in_runs_by_hand(tmp_path):
    env_file = tmp_path / "standin.env"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "resources.sources.standin",
            "--port",
            "0",
            "--now",
            PREGAME,
            "--env-file",
            str(env_file),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        first = process.stdout.readline()
        assert first.startswith("stand-in APIs on http://127.0.0.1:")
        url = first.split()[3]
        exports = dict(process.stdout.readline().removeprefix("export ").strip().split("=", 1) for _ in range(7))
        assert exports["NBA_ODDS_API_URL"] == f"{url}/odds-api"
        assert exports["NBA_STANDIN_ADMIN_URL"] == f"{url}/_standin"
        assert dict(line.split("=", 1) for line in env_file.read_text().splitlines()) == exports
        clock = httpx.post(f"{url}/_standin/clock", json={"advance_seconds": 3600}, timeout=10).json()
        assert clock["now"].startswith("2025-11-02T13:45")
        fault = httpx.post(f"{url}/_standin/faults", json={"kind": "429", "retry_after": 3}, timeout=10).json()
        assert fault["pending"][0]["kind"] == "429"
        events = httpx.get(
            f"{url}/odds-api/v4/sports/basketball_nba/events", params={"apiKey": exports["ODDS_API_KEY"]}
        )
        assert (events.status_code, events.headers["retry-after"]) == (429, "3")
    finally:
        process.terminate()
        process.wait(timeout=10)
