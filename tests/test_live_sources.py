"""The live sources (balldontlie, The Odds API) on recorded responses of each API's documented shape.

The recordings (tests/recorded/, built by tests/recorded/build_recordings.py) are the archive's real
2025-11-02 games, box scores and lines in the APIs' shapes, so the live rows can be compared with
what the replay source serves for the same date. respx stands in for the network; waits are
recorded, never slept.
"""

import copy
import datetime as dt
import json
import logging
from pathlib import Path

import httpx
import pandas as pd
import pytest
import respx

from nba_assets.lib.identity import player_lookup
from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, PROP_LINES, SCHEDULE, validate
from resources.sources.errors import SourceError
from resources.sources.live.balldontlie import parse_minutes
from resources.sources.live.source import LiveSource, live_source_from_env
from resources.sources.replay.archive import ArchiveError
from resources.sources.replay.source import ReplaySource
from tests.conftest import ARCHIVE

RECORDED = Path(__file__).resolve().parent / "recorded"
DAY = dt.date(2025, 11, 2)
BDL = "https://api.balldontlie.io"
ODDS = "https://api.the-odds-api.com"
BDL_KEY = "bdl-key-7f3a9c2e51d84b06"
ODDS_KEY = "odds-key-e81d5b2c94f04a7d"
SNAPSHOT = dt.datetime(2025, 11, 2, 17, 0, tzinfo=dt.UTC)
QUOTA = {"x-requests-remaining": "19482", "x-requests-used": "518", "x-requests-last": "1"}
OKC_EVENT = "1abf482ad374aafd4543807af43cb242"  # NOP @ OKC, 20:30Z
# Pacing to the APIs' limits is tested on its own (test_standin.py); here it would only add waits.
UNPACED = {"balldontlie_requests_per_minute": 1e9, "odds_api_requests_per_minute": 1e9}
NINE_MARKETS = (
    "player_points,player_rebounds,player_assists,player_threes,player_points_rebounds_assists,"
    "player_steals,player_blocks,player_double_double,player_triple_double"
)


def recorded(rel: str):
    return json.loads((RECORDED / rel).read_text())


def window_validate(table, rows: pd.DataFrame) -> pd.DataFrame:
    """The raw assets' validation of one date (player_lookup added as they add it)."""
    rows = rows.copy()
    if "player_lookup" in table.column_types:
        rows["player_lookup"] = rows["player_name"].map(player_lookup)
    return validate(table, rows[list(table.column_types)], DAY, DAY + dt.timedelta(days=1), ["test"])


@pytest.fixture
def sleeps() -> list:
    return []


@pytest.fixture
def live(sleeps) -> LiveSource:
    source = LiveSource(
        balldontlie_api_key=BDL_KEY,
        odds_api_key=ODDS_KEY,
        max_attempts=3,
        backoff_initial_seconds=0,
        jitter_seconds=0,
        **UNPACED,
    )
    source._sleep = sleeps.append  # records the waits instead of sleeping
    source._now = lambda: SNAPSHOT
    return source


def stats_pages(pages: list[dict]):
    """A respx side effect serving `pages` by the `cursor` parameter (none = first page)."""
    by_cursor = {None: pages[0]}
    for previous, page in zip(pages, pages[1:]):
        by_cursor[str(previous["meta"]["next_cursor"])] = page

    def serve(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=by_cursor[request.url.params.get("cursor")])

    return serve


@pytest.fixture
def bdl_api():
    with respx.mock(base_url=BDL, assert_all_called=False) as api:
        api.get("/v1/games", name="games").respond(200, json=recorded("balldontlie/games_2025-11-02.json"))
        api.get("/v1/stats", name="stats").mock(
            side_effect=stats_pages(
                [
                    recorded("balldontlie/stats_2025-11-02_page1.json"),
                    recorded("balldontlie/stats_2025-11-02_page2.json"),
                ]
            )
        )
        yield api


@pytest.fixture
def odds_api():
    with respx.mock(base_url=ODDS, assert_all_called=False) as api:
        api.get("/v4/sports/basketball_nba/events", name="events").respond(
            200, json=recorded("odds_api/events_2025-11-02.json"), headers=QUOTA
        )
        api.get(path__regex=r"^/v4/sports/basketball_nba/events/(?P<event_id>\w+)/odds$", name="odds").mock(
            side_effect=lambda request, event_id: httpx.Response(
                200,
                json=recorded(f"odds_api/event_odds_{event_id}.json"),
                headers={**QUOTA, "date": "Sun, 02 Nov 2025 17:00:03 GMT"},
            )
        )
        yield api


# --- happy paths -------------------------------------------------------------------------------


def test_schedule_rows_match_the_replay_columns_and_real_scores(live, bdl_api):
    payload = live.schedule(DAY)
    rows = payload.rows
    assert list(rows.columns) == SCHEDULE.source_columns
    assert len(rows) == 8
    okc = rows[rows["home_team_abbr"] == "OKC"].iloc[0]
    assert okc["game_id"] == "9018446820"  # "9" + the balldontlie id, ten digits
    assert (okc["away_team_abbr"], okc["home_points"], okc["away_points"]) == ("NOP", 137, 106)
    assert (okc["season"], okc["season_type"]) == ("2025-26", "regular")
    typed = window_validate(SCHEDULE, rows)
    assert len(typed) == 8

    request = bdl_api["games"].calls.last.request
    assert request.headers["Authorization"] == BDL_KEY
    assert request.url.params["dates[]"] == "2025-11-02" and request.url.params["per_page"] == "100"

    # Same games and final scores as the replay source serves for the date.
    replay = window_validate(SCHEDULE, ReplaySource(archive_dir=str(ARCHIVE)).schedule(DAY).rows)
    key = ["home_team_abbr", "away_team_abbr", "home_points", "away_points", "season", "season_type"]
    assert sorted(map(tuple, typed[key].values)) == sorted(map(tuple, replay[key].values))


def test_box_scores_follow_the_cursor_and_equal_the_replay_values(live, bdl_api):
    payload = live.player_boxscores(DAY)
    rows = payload.rows
    assert list(rows.columns) == PLAYER_BOXSCORES.source_columns
    stats_calls = bdl_api["stats"].calls
    assert len(stats_calls) == 2
    assert "cursor" not in stats_calls[0].request.url.params
    assert stats_calls[1].request.url.params["cursor"] == "21877099"
    assert len(rows) == 184  # 100 + 84 rows: 182 players who played and 2 listed who did not

    typed = window_validate(PLAYER_BOXSCORES, rows)
    assert len(typed) == 184
    luka = typed[typed["player_lookup"] == "lukadoncic"].iloc[0]
    assert (luka["team_abbr"], luka["opponent_abbr"], luka["home_away"]) == ("LAL", "MIA", "HOME")
    assert (luka["minutes"], luka["points"], luka["rebounds"], luka["assists"]) == (38.0, 29, 11, 10)

    # Did-not-play rows kept with minutes 0 and zero stats, whether the API sent "00" or null.
    dnp = typed[typed["minutes"] == 0].set_index("player_name")
    assert sorted(dnp.index) == ["Jalen Williams", "Nikola Topic"]
    assert (dnp["points"] == 0).all() and (dnp["rebounds"] == 0).all()

    # Every player the replay serves for the date, with the same team, opponent, side and numbers.
    replay = ReplaySource(archive_dir=str(ARCHIVE)).player_boxscores(DAY).rows
    replay = replay.assign(player_lookup=replay["player_name"].map(player_lookup))
    cols = ["team_abbr", "opponent_abbr", "home_away", "minutes", "points", "rebounds", "assists", "fg3m", "ftm"]
    live_view = typed.set_index("player_lookup")[cols].astype(str).replace(r"\.0$", "", regex=True)
    replay_view = replay.set_index("player_lookup")[cols].astype(str)
    assert len(replay_view) == 182
    pd.testing.assert_frame_equal(live_view.loc[replay_view.index].sort_index(), replay_view.sort_index())

    # Joins like the replay: every box-score game is a scheduled game, both teams present.
    schedule = live.schedule(DAY).rows
    assert set(typed["game_id"]) == set(schedule["game_id"])
    assert typed.groupby("game_id")["team_abbr"].nunique().eq(2).all()


def test_prop_lines_keep_the_snapshot_time_and_equal_the_archived_lines(live, odds_api):
    payload = live.prop_lines(DAY)
    rows = payload.rows
    assert list(rows.columns) == PROP_LINES.source_columns
    assert odds_api["events"].call_count == 1 and odds_api["odds"].call_count == 8
    events_request = odds_api["events"].calls.last.request
    assert events_request.url.params["apiKey"] == ODDS_KEY
    # The US-Eastern date 2025-11-02 is 04:00Z..03:59:59Z the next day (EST, after the DST change).
    assert events_request.url.params["commenceTimeFrom"] == "2025-11-02T04:00:00Z"
    assert events_request.url.params["commenceTimeTo"] == "2025-11-03T04:59:59Z"
    odds_params = odds_api["odds"].calls.last.request.url.params
    # Every market the platform predicts plus double/triple-double, in one request per event.
    assert (odds_params["regions"], odds_params["markets"], odds_params["oddsFormat"]) == (
        "us",
        NINE_MARKETS,
        "american",
    )

    typed = window_validate(PROP_LINES, rows)
    assert set(typed["snapshot_file"]) == {"odds_api_live_20251102_170000"}
    by_book = typed.groupby("bookmaker")["snapshot_time"].unique()
    # The market's last_update where given, else the bookmaker's (FanDuel's markets have none here).
    assert list(by_book["draftkings"]) == [pd.Timestamp("2025-11-02T16:58:41Z")]
    assert list(by_book["fanduel"]) == [pd.Timestamp("2025-11-02T16:57:12Z")]
    luka = typed[(typed["player_name"] == "Luka Doncic") & (typed["bookmaker"] == "draftkings")].iloc[0]
    assert (luka["line"], luka["over_odds"], luka["under_odds"]) == (33.5, -108.0, -118.0)
    assert (luka["home_team_abbr"], luka["away_team_abbr"]) == ("LAL", "MIA")
    assert luka["commence_time"] == pd.Timestamp("2025-11-03T02:30:00Z")
    assert luka["game_date"] == pd.Timestamp(DAY)
    bovada = typed[typed["bookmaker"] == "bovada"]
    assert bovada.groupby("player_name")["line"].nunique().max() > 1  # alternate lines, one row each
    assert any("19482 remaining" in note for note in payload.notes)
    # The recordings' x-requests-last is 1 per event request: 8 credits, estimated 8 x 9 markets.
    assert live.usage_metadata()["odds_api_credits_spent"] == 8
    assert live.usage_metadata()["odds_api_credits_estimate"] == 72

    # The same lines, books and prices as the archive holds for the date.
    replay = ReplaySource(archive_dir=str(ARCHIVE)).prop_lines(DAY).rows
    replay = replay[
        (replay["market"] == "player_points")
        & (
            replay["bookmaker"].isin(["draftkings", "fanduel"])
            | ((replay["bookmaker"] == "bovada") & (replay["home_team_abbr"] == "LAL"))
        )
    ]
    key = ["event_id", "bookmaker", "player_name", "line", "over_odds", "under_odds"]

    def as_set(f):
        return set(map(tuple, f[key].astype({"line": float, "over_odds": float, "under_odds": float}).values))

    assert len(typed) == len(replay) and as_set(typed) == as_set(replay)


def test_without_last_update_the_response_date_is_the_snapshot_time(live, odds_api):
    def strip_times(request, event_id):
        body = recorded(f"odds_api/event_odds_{event_id}.json")
        for book in body["bookmakers"]:
            book.pop("last_update")
            for market in book["markets"]:
                market.pop("last_update", None)
        return httpx.Response(200, json=body, headers={"date": "Sun, 02 Nov 2025 17:00:03 GMT"})

    odds_api["odds"].side_effect = strip_times
    rows = live.prop_lines(DAY).rows
    assert set(rows["snapshot_time"]) == {dt.datetime(2025, 11, 2, 17, 0, 3, tzinfo=dt.UTC)}


def test_started_games_are_skipped_and_past_dates_refused(live, odds_api):
    live._now = lambda: dt.datetime(2025, 11, 2, 21, 0, tzinfo=dt.UTC)
    payload = live.prop_lines(DAY)
    assert odds_api["odds"].call_count == 7  # NOP @ OKC tipped off at 20:30Z
    assert OKC_EVENT not in set(payload.rows["event_id"])
    assert any(OKC_EVENT in note and "in-play" in note for note in payload.notes)

    live._now = lambda: dt.datetime(2025, 11, 4, 15, 0, tzinfo=dt.UTC)
    calls = odds_api["events"].call_count
    with pytest.raises(SourceError, match=r"2025-11-02 \(before today, 2025-11-04"):
        live.prop_lines(DAY)
    assert odds_api["events"].call_count == calls  # not even asked


def test_a_game_not_final_has_no_scores_and_no_box_scores(live, bdl_api):
    games = recorded("balldontlie/games_2025-11-02.json")
    games["data"][0].update(status="2025-11-02T20:30:00Z", period=0, time=None)  # NOP @ OKC not started
    bdl_api["games"].respond(200, json=games)
    schedule = live.schedule(DAY).rows
    okc = schedule[schedule["home_team_abbr"] == "OKC"].iloc[0]
    assert pd.isna(okc["home_points"]) and pd.isna(okc["away_points"])
    box = live.player_boxscores(DAY)
    assert "9018446820" not in set(box.rows["game_id"])
    assert len(box.rows) == 184 - 28  # its 26 players and 2 listed who did not play
    assert any("9018446820 not served: the game is not final" in note for note in box.notes)


# --- retries -----------------------------------------------------------------------------------


def test_429_waits_what_retry_after_asks_then_succeeds(live, bdl_api, sleeps):
    bdl_api["games"].side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}, json={"error": "Too many requests"}),
        httpx.Response(200, json=recorded("balldontlie/games_2025-11-02.json")),
    ]
    rows = live.schedule(DAY).rows
    assert len(rows) == 8
    assert bdl_api["games"].call_count == 2
    assert sleeps == [7.0]


def test_retry_after_is_capped(live, bdl_api, sleeps):
    live_capped = live.model_copy(update={"max_retry_after_seconds": 5.0})
    live_capped._sleep, live_capped._now = live._sleep, live._now
    bdl_api["games"].side_effect = [
        httpx.Response(503, headers={"Retry-After": "3600"}),
        httpx.Response(200, json=recorded("balldontlie/games_2025-11-02.json")),
    ]
    assert len(live_capped.schedule(DAY).rows) == 8
    assert sleeps == [5.0]


def test_500_then_success(live, odds_api, sleeps):
    odds_api["events"].side_effect = [
        httpx.Response(500, text="upstream error"),
        httpx.Response(200, json=recorded("odds_api/events_2025-11-02.json"), headers=QUOTA),
    ]
    assert len(live.prop_lines(DAY).rows) > 0
    assert odds_api["events"].call_count == 2 and len(sleeps) == 1


def test_backoff_is_exponential_with_bounded_jitter(bdl_api, sleeps):
    source = LiveSource(
        balldontlie_api_key=BDL_KEY,
        odds_api_key=ODDS_KEY,
        max_attempts=4,
        backoff_initial_seconds=1,
        backoff_max_seconds=30,
        jitter_seconds=0.5,
        **UNPACED,
    )
    source._sleep = sleeps.append
    bdl_api["games"].side_effect = [httpx.Response(502)] * 3 + [
        httpx.Response(200, json=recorded("balldontlie/games_2025-11-02.json"))
    ]
    assert len(source.schedule(DAY).rows) == 8
    assert len(sleeps) == 3
    for wait, base in zip(sleeps, (1, 2, 4)):
        assert base <= wait <= base + 0.5


def test_persistent_500_is_an_error_naming_the_request_with_the_key_redacted(live, odds_api):
    odds_api["events"].respond(500, text='{"message": "Internal error"}')
    with pytest.raises(SourceError) as err:
        live.prop_lines(DAY)
    message = str(err.value)
    assert odds_api["events"].call_count == 3
    assert message.startswith("GET https://api.the-odds-api.com/v4/sports/basketball_nba/events?apiKey=REDACTED")
    assert "commenceTimeFrom=2025-11-02T04:00:00Z" in message
    assert "after 3 attempts: HTTP 500" in message and "Internal error" in message
    assert ODDS_KEY not in message
    assert err.value.transient  # the raw asset's step retry policy may try again later


def test_client_errors_are_not_retried(live, bdl_api, sleeps):
    bdl_api["games"].respond(401, json={"error": "Unauthorized"})
    with pytest.raises(
        SourceError, match=r"GET https://api.balldontlie.io/v1/games\?dates\[\]=2025-11-02.*HTTP 401"
    ) as err_info:
        live.schedule(DAY)
    assert bdl_api["games"].call_count == 1 and sleeps == []
    assert not err_info.value.transient


def test_timeouts_are_retried_then_an_error(live, bdl_api, sleeps):
    bdl_api["stats"].side_effect = httpx.ReadTimeout("read timed out")
    with pytest.raises(
        SourceError, match=r"/v1/stats\?dates\[\]=2025-11-02.* after 3 attempts: timed out \(ReadTimeout"
    ):
        live.player_boxscores(DAY)
    assert bdl_api["stats"].call_count == 3 and len(sleeps) == 2


def test_a_timeout_then_success(live, bdl_api):
    bdl_api["games"].side_effect = [
        httpx.ConnectTimeout("connect timed out"),
        httpx.Response(200, json=recorded("balldontlie/games_2025-11-02.json")),
    ]
    assert len(live.schedule(DAY).rows) == 8


# --- malformed payloads ------------------------------------------------------------------------


def test_a_truncated_body_is_an_error_naming_the_request(live, bdl_api):
    body = (RECORDED / "balldontlie/stats_2025-11-02_page1.json").read_bytes()
    bdl_api["stats"].side_effect = [httpx.Response(200, content=body[:5000])]
    with pytest.raises(
        SourceError,
        match=r"GET https://api.balldontlie.io/v1/stats\?dates\[\]=2025-11-02&per_page=100: "
        r"HTTP 200 but the body is not valid JSON \(malformed or truncated, 5000 bytes\)",
    ):
        live.player_boxscores(DAY)


def _with_page2_meta(meta):
    page1 = recorded("balldontlie/stats_2025-11-02_page1.json")
    page2 = recorded("balldontlie/stats_2025-11-02_page2.json")
    if meta is None:
        page2.pop("meta")
    else:
        page2["meta"] = meta
    return [page1, page2]


@pytest.mark.parametrize(
    "meta, error",
    [
        ({"per_page": 100, "next_cursor": 21877099}, r"meta\.next_cursor 21877099 repeats or does not advance"),
        ({"per_page": 100, "next_cursor": 21877000}, r"meta\.next_cursor 21877000 repeats or does not advance"),
        ({"per_page": 100, "next_cursor": "21877183"}, r"meta\.next_cursor '21877183' is not an integer"),
        (None, r"a page of 84 rows without 'meta'"),
    ],
)
def test_a_bad_cursor_is_an_error_naming_the_request(live, bdl_api, meta, error):
    bdl_api["stats"].side_effect = stats_pages(_with_page2_meta(meta))
    with pytest.raises(
        SourceError,
        match=r"GET https://api.balldontlie.io/v1/stats\?dates\[\]=2025-11-02&per_page=100&cursor=21877099: " + error,
    ):
        live.player_boxscores(DAY)


def test_a_cursor_that_never_ends_stops_at_max_pages(live, bdl_api):
    page = recorded("balldontlie/stats_2025-11-02_page1.json")

    def endless(request):
        cursor = int(request.url.params.get("cursor", 0))
        rows = [dict(row, id=cursor + 1 + i) for i, row in enumerate(page["data"][:2])]
        return httpx.Response(200, json={"data": rows, "meta": {"per_page": 100, "next_cursor": rows[-1]["id"]}})

    bdl_api["stats"].side_effect = endless
    limited = live.model_copy(update={"max_pages": 4})
    limited._sleep = live._sleep
    with pytest.raises(SourceError, match=r"/v1/stats\?dates\[\]=2025-11-02&per_page=100: more than 4 pages"):
        limited.player_boxscores(DAY)
    assert bdl_api["stats"].call_count == 4


def test_a_record_missing_a_documented_field_is_named(live, bdl_api, odds_api):
    pages = [recorded("balldontlie/stats_2025-11-02_page1.json"), recorded("balldontlie/stats_2025-11-02_page2.json")]
    del pages[1]["data"][5]["pts"]
    bad_id = pages[1]["data"][5]["id"]
    bdl_api["stats"].side_effect = stats_pages(pages)
    with pytest.raises(SourceError, match=rf"cursor=21877099: stat row {bad_id} lacks the documented field 'pts'"):
        live.player_boxscores(DAY)

    games = recorded("balldontlie/games_2025-11-02.json")
    del games["data"][2]["home_team"]["abbreviation"]
    bdl_api["games"].respond(200, json=games)
    with pytest.raises(SourceError, match=r"game 18446822 lacks the documented field 'home_team.abbreviation'"):
        live.schedule(DAY)

    odds = recorded(f"odds_api/event_odds_{OKC_EVENT}.json")
    del odds["bookmakers"][0]["markets"][0]["outcomes"][3]["point"]
    odds_api["odds"].side_effect = lambda request, event_id: httpx.Response(
        200, json=odds if event_id == OKC_EVENT else recorded(f"odds_api/event_odds_{event_id}.json")
    )
    with pytest.raises(
        SourceError,
        match=rf"events/{OKC_EVENT}/odds\?apiKey=REDACTED.*outcome 3 of market "
        rf"'player_points' of bookmaker 'draftkings' of event {OKC_EVENT} "
        r"lacks the documented field 'point'",
    ):
        live.prop_lines(DAY)


def test_yes_no_markets_land_without_a_line(live, odds_api):
    """Double/triple-double: Yes as over_odds, No as under_odds, no line; one row per player and book."""
    odds = recorded(f"odds_api/event_odds_{OKC_EVENT}.json")
    yes_no = {
        "key": "player_double_double",
        "last_update": "2025-11-02T16:58:41Z",
        "outcomes": [
            {"name": "Yes", "description": "Zion Williamson", "price": 240},
            {"name": "No", "description": "Zion Williamson", "price": -330},
            {"name": "Yes", "description": "Isaiah Hartenstein", "price": 105},
        ],
    }
    odds["bookmakers"][0]["markets"].append(yes_no)
    odds_api["odds"].side_effect = lambda request, event_id: httpx.Response(
        200, json=odds if event_id == OKC_EVENT else recorded(f"odds_api/event_odds_{event_id}.json")
    )
    rows = window_validate(PROP_LINES, live.prop_lines(DAY).rows)
    doubles = rows[rows["market"] == "player_double_double"].set_index("player_name")
    assert len(doubles) == 2 and doubles["line"].isna().all()
    assert (doubles.loc["Zion Williamson", "over_odds"], doubles.loc["Zion Williamson", "under_odds"]) == (240, -330)
    assert pd.isna(doubles.loc["Isaiah Hartenstein", "under_odds"])

    yes_no["outcomes"].append({"name": "Yes", "description": "Zion Williamson", "price": 250})
    with pytest.raises(SourceError, match=r"outcome 3 of market 'player_double_double'.* repeats Yes"):
        live.prop_lines(DAY)
    yes_no["outcomes"][3] = {"name": "Maybe", "description": "Zion Williamson", "price": 250}
    with pytest.raises(SourceError, match=r"is 'Maybe', expected Over/Under \(or Yes/No\)"):
        live.prop_lines(DAY)


def test_values_that_do_not_fit_are_named(live, bdl_api, odds_api):
    pages = [recorded("balldontlie/stats_2025-11-02_page1.json"), recorded("balldontlie/stats_2025-11-02_page2.json")]
    pages[0]["data"][0]["min"] = "thirty"
    bdl_api["stats"].side_effect = stats_pages(pages)
    with pytest.raises(SourceError, match=r"stat row 21877000 \(Jose Alvarado, game 18446820\) has minutes 'thirty'"):
        live.player_boxscores(DAY)

    events = recorded("odds_api/events_2025-11-02.json")
    events[0]["home_team"] = "Oklahoma City Thunderbolts"
    odds_api["events"].respond(200, json=events)
    with pytest.raises(SourceError, match=r"names team 'Oklahoma City Thunderbolts', not a known NBA team name"):
        live.prop_lines(DAY)


def test_an_unknown_team_code_is_an_error_and_an_exhibition_is_left_out(live, bdl_api):
    games = recorded("balldontlie/games_2025-11-02.json")
    exhibition = copy.deepcopy(games["data"][0])
    exhibition["id"] = 18446900
    exhibition["home_team"]["abbreviation"], exhibition["visitor_team"]["abbreviation"] = "EST", "WST"
    games["data"].append(exhibition)
    bdl_api["games"].respond(200, json=games)
    payload = live.schedule(DAY)
    assert len(payload.rows) == 8
    assert any("game 18446900 WST @ EST left out" in note for note in payload.notes)

    games["data"][0]["home_team"]["abbreviation"] = "OKL"
    bdl_api["games"].respond(200, json=games)
    with pytest.raises(SourceError, match=r"game 18446820 names team code 'OKL'"):
        live.schedule(DAY)


@pytest.mark.parametrize(
    "value, minutes", [("36:47", 36.7833), ("36", 36.0), ("00", 0.0), ("", 0.0), (None, 0.0), ("0:30", 0.5), (12, 12.0)]
)
def test_minutes(value, minutes):
    assert parse_minutes(value, "GET x", "row") == minutes


# --- secrets -----------------------------------------------------------------------------------


def test_the_api_keys_never_appear_in_errors_notes_metadata_or_logs(live, bdl_api, odds_api, caplog):
    caplog.set_level(logging.DEBUG)
    messages = [live.describe()]
    payload = live.prop_lines(DAY)
    messages += payload.notes + payload.rows["source_file"].unique().tolist()
    messages += live.schedule(DAY).rows["source_file"].unique().tolist()
    failures = [
        (odds_api["events"], live.prop_lines, httpx.Response(500, text=f"echo apiKey={ODDS_KEY}")),
        (odds_api["events"], live.prop_lines, httpx.Response(401, text=f"invalid key {ODDS_KEY}")),
        (odds_api["events"], live.prop_lines, httpx.ConnectError(f"cannot reach {ODDS}/v4/sports?apiKey={ODDS_KEY}")),
        (odds_api["events"], live.prop_lines, httpx.Response(200, content=f'{{"key": "{ODDS_KEY}", '.encode())),
        (bdl_api["games"], live.schedule, httpx.Response(500, text=f"bad auth header {BDL_KEY}")),
        (bdl_api["games"], live.schedule, httpx.Response(403, text=f"Authorization: {BDL_KEY}")),
    ]
    for route, fetch, failure in failures:
        route.side_effect = [failure] * 3
        with pytest.raises(SourceError) as err:
            fetch(DAY)
        messages.append(str(err.value))
    assert all("REDACTED" in m for m in messages[-6:])
    assert any("httpx" == r.name and "apiKey=REDACTED" in r.getMessage() for r in caplog.records)
    for text in messages + [r.getMessage() for r in caplog.records]:
        assert ODDS_KEY not in text and BDL_KEY not in text


def test_keys_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("BALLDONTLIE_API_KEY", BDL_KEY)
    monkeypatch.setenv("ODDS_API_KEY", ODDS_KEY)
    resource = live_source_from_env().process_config_and_initialize()
    assert (resource.balldontlie_api_key, resource.odds_api_key) == (BDL_KEY, ODDS_KEY)
    assert BDL_KEY not in resource.describe() and ODDS_KEY not in resource.describe()


def test_an_empty_key_is_a_clear_error(monkeypatch):
    source = LiveSource(balldontlie_api_key=" ", odds_api_key=ODDS_KEY)
    with pytest.raises(SourceError, match="BALLDONTLIE_API_KEY is empty"):
        source.schedule(DAY)


def test_archive_errors_are_source_errors():
    assert issubclass(ArchiveError, SourceError)


# --- end to end: the raw assets and dbt on live rows ------------------------------------------


def test_live_rows_flow_through_the_raw_assets_and_dbt_like_replayed_rows(
    tmp_path, monkeypatch, live, bdl_api, odds_api, replayed
):
    """The ingest job (alias seed, raw, analytics, features) for 2025-11-02 with the live source in place of the replay source: the
    rows land, validate and load, and dbt's analytics equal those of the replayed warehouse."""
    from dagster import DagsterInstance

    from nba_assets.definitions import build_definitions
    from resources.environments import local_resources

    monkeypatch.setenv("NBA_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))  # restored afterwards
    # Dagster binds a copy of the resource (private attributes are not copied): fix the clock globally.
    monkeypatch.setattr("resources.sources.live.source._utc_now", lambda: SNAPSHOT)
    resources = local_resources(
        data_dir=tmp_path / "data", duckdb_path=tmp_path / "warehouse.duckdb", archive_dir=ARCHIVE
    )
    resources["nba_source"] = live
    defs = build_definitions(resources)
    instance = DagsterInstance.ephemeral()
    result = defs.resolve_job_def("ingest_and_features").execute_in_process(
        instance=instance, partition_key=DAY.isoformat()
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["completeness"] and checks["unique_keys"]
    warehouse = resources["warehouse"]

    def count(table):
        return int(warehouse.query(f"SELECT count(*) AS n FROM nba_raw.{table}")["n"].iloc[0])

    assert (count("schedule"), count("player_boxscores")) == (8, 184)
    assert count("prop_lines") == len(live.prop_lines(DAY).rows)
    metadata = [e.materialization.metadata for e in result.get_asset_materialization_events()]
    assert all(ODDS_KEY not in str(m) and BDL_KEY not in str(m) for m in metadata)

    columns = "player_lookup, team_abbr, opponent_abbr, home_away, minutes, points, rebounds, assists, played"
    sql = (
        f"SELECT {columns} FROM nba_analytics.player_game_summary WHERE game_date = '2025-11-02' ORDER BY player_lookup"
    )
    live_players = warehouse.query(sql).set_index("player_lookup")
    replay_players = replayed.query(sql).set_index("player_lookup")
    assert len(live_players) == len(replay_players) + 2  # the two listed who did not play
    pd.testing.assert_frame_equal(live_players.loc[replay_players.index], replay_players, check_dtype=False)
    assert not live_players.loc[["jalenwilliams", "nikolatopic"], "played"].any()

    sql = (
        "SELECT team_abbr, points, points_allowed FROM nba_analytics.team_game_summary "
        "WHERE game_date = '2025-11-02' ORDER BY team_abbr"
    )
    pd.testing.assert_frame_equal(warehouse.query(sql), replayed.query(sql), check_dtype=False)

    # Lines name the same players as the replayed lines do (aliases applied alike).
    sql = "SELECT player_lookup FROM nba_analytics.prop_lines_consensus WHERE game_date = '2025-11-02'"
    live_lined = set(warehouse.query(sql)["player_lookup"])
    assert len(live_lined) > 100 and live_lined <= set(replayed.query(sql)["player_lookup"])
