"""The Odds API v4 (https://the-odds-api.com/liveapi/guides/v4/): live player-prop lines of a date.

Requests (API key as the `apiKey` query parameter: redacted from every message, log and metadata):
- `GET /v4/sports/basketball_nba/events?commenceTimeFrom=..&commenceTimeTo=..`: the date's games, the
  window being the US-Eastern game date in UTC (free of quota);
- per game `GET /v4/sports/basketball_nba/events/{id}/odds?regions=us&markets=player_points&oddsFormat=american`.

One call of `prop_lines(day)` is one snapshot: `snapshot_file` is `odds_api_live_YYYYMMDD_HHMMSS`
(the fetch time, UTC, like the archive's `raw_YYYYMMDD_HHMMSS` files) and `snapshot_time` is the
market's `last_update`, else the bookmaker's, else the response's own `timestamp` (historical
responses carry one), else the response's `Date` header, else the fetch time: when the book last moved the line, which the
consensus model uses to take each book's latest line.

Rows: one per event, bookmaker, market, player (`description`) and line (`point`), with the Over and
Under prices side by side (a missing side is null, as in the archive). Team names map to codes
through `resources/sources/teams.py`; an unknown name, an outcome that is neither Over nor Under, or an
outcome without player, line or price is an error naming the request and the record.

The live endpoints list only upcoming and in-play games. So:
- a date before today (US Eastern) is an error: there is nothing to fetch, and an empty answer would
  replace the lines already loaded for that date;
- games that have started are skipped (noted): their lines are in-play, not pre-game.
The quota left (`x-requests-remaining`, `x-requests-used`) is put in the notes.
"""

from __future__ import annotations

import datetime as dt
import email.utils
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from nba_assets.lib.clock import GAME_TZ
from resources.sources.errors import SourceError
from resources.sources.json_fields import field_value, short
from resources.sources.live.http_client import JsonHttpClient, JsonResponse
from resources.sources.teams import TEAM_ABBR_BY_NAME

SPORT = "basketball_nba"
EVENT_FIELDS = ("id", "commence_time", "home_team", "away_team")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def day_window_utc(day: dt.date) -> tuple[str, str]:
    """commenceTimeFrom/To covering the US-Eastern date `day` (the API wants YYYY-MM-DDTHH:MM:SSZ)."""
    start = dt.datetime.combine(day, dt.time(), GAME_TZ).astimezone(dt.UTC)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), GAME_TZ).astimezone(dt.UTC)
    end -= dt.timedelta(seconds=1)
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return start.strftime(fmt), end.strftime(fmt)


def parse_time(value: Any, label: str, what: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(f"{label}: {what} has an unreadable time {value!r}") from None
    if parsed.tzinfo is None:
        raise SourceError(f"{label}: {what} has a time without a zone {value!r}")
    return parsed.astimezone(dt.UTC)


def _team_code(name: Any, label: str, what: str) -> str:
    code = TEAM_ABBR_BY_NAME.get(name) if isinstance(name, str) else None
    if code is None:
        raise SourceError(f"{label}: {what} names team {name!r}, not a known NBA team name")
    return code


def _http_date(value: str | None) -> dt.datetime | None:
    try:
        return email.utils.parsedate_to_datetime(value).astimezone(dt.UTC) if value else None
    except (TypeError, ValueError):
        return None


@dataclass
class OddsApiSource:
    """Serves a date's prop-line snapshot from The Odds API through one `JsonHttpClient`."""

    http: JsonHttpClient
    regions: str = "us"
    markets: str = "player_points"
    now: Callable[[], dt.datetime] = utc_now
    notes: list[str] = field(default_factory=list)

    def prop_lines(self, day: dt.date) -> list[dict]:
        fetched_at = self.now().astimezone(dt.UTC)
        today = fetched_at.astimezone(GAME_TZ).date()
        if day < today:
            raise SourceError(
                f"The Odds API live endpoints list only upcoming and in-play games: the lines of {day} "
                f"(before today, {today}, US Eastern) cannot be fetched live, and an empty answer would "
                "replace the lines already loaded. Replay that date from the archive instead."
            )
        snapshot_file = f"odds_api_live_{fetched_at:%Y%m%d_%H%M%S}"
        start, end = day_window_utc(day)
        events = self.http.get_json(f"/v4/sports/{SPORT}/events", {"commenceTimeFrom": start, "commenceTimeTo": end})
        last = events
        rows: list[dict] = []
        for event in self._events(events, day):
            if event["commence_time"] <= fetched_at:
                self.notes.append(
                    f"event {event['id']} ({event['away']} @ {event['home']}) started at "
                    f"{event['commence_time']:%H:%M}Z: in-play lines are not pre-game lines, skipped"
                )
                continue
            odds = self.http.get_json(
                f"/v4/sports/{SPORT}/events/{event['id']}/odds",
                {"regions": self.regions, "markets": self.markets, "oddsFormat": "american"},
            )
            last = odds
            rows.extend(self._rows(odds, event, day, snapshot_file, fetched_at))
        remaining, used = last.headers.get("x-requests-remaining"), last.headers.get("x-requests-used")
        if remaining is not None or used is not None:
            self.notes.append(f"The Odds API quota: {remaining} requests remaining, {used} used")
        return rows

    def _events(self, response: JsonResponse, day: dt.date) -> list[dict]:
        label = response.label
        if not isinstance(response.data, list):
            raise SourceError(f"{label}: expected a list of events, got {short(response.data)}")
        events = []
        for record in response.data:
            what = f"event {record.get('id') if isinstance(record, dict) else short(record)}"
            if not isinstance(record, dict):
                raise SourceError(f"{label}: {what} is not an object")
            values = {name: field_value(record, name, label, what) for name in EVENT_FIELDS}
            commence = parse_time(values["commence_time"], label, what)
            if commence.astimezone(GAME_TZ).date() != day:
                self.notes.append(f"event {values['id']} starts {commence:%Y-%m-%d %H:%M}Z, not on {day}: skipped")
                continue
            events.append(
                {
                    "id": values["id"],
                    "commence_time": commence,
                    "home": _team_code(values["home_team"], label, what),
                    "away": _team_code(values["away_team"], label, what),
                }
            )
        return events

    def _rows(
        self, response: JsonResponse, event: dict, day: dt.date, snapshot_file: str, fetched_at: dt.datetime
    ) -> list[dict]:
        label = response.label
        body = response.data
        response_time = None
        if isinstance(body, dict) and "timestamp" in body and isinstance(body.get("data"), dict):
            response_time = parse_time(body["timestamp"], label, "the response")  # historical shape
            body = body["data"]
        if not isinstance(body, dict):
            raise SourceError(f"{label}: expected an event object, got {short(body)}")
        bookmakers = field_value(body, "bookmakers", label, f"event {event['id']}")
        if not isinstance(bookmakers, list):
            raise SourceError(f"{label}: event {event['id']} 'bookmakers' is not a list")
        if response_time is None:
            response_time = _http_date(response.headers.get("date")) or fetched_at
        lines: dict[tuple, dict] = {}
        for book in bookmakers:
            book_key = field_value(book, "key", label, f"a bookmaker of event {event['id']}")
            book_what = f"bookmaker {book_key!r} of event {event['id']}"
            book_time = book.get("last_update")
            for market in field_value(book, "markets", label, book_what) or []:
                market_key = field_value(market, "key", label, f"a market of {book_what}")
                what = f"market {market_key!r} of {book_what}"
                stamp = market.get("last_update") or book_time
                snapshot_time = parse_time(stamp, label, what) if stamp else response_time
                for i, outcome in enumerate(field_value(market, "outcomes", label, what) or []):
                    out_what = f"outcome {i} of {what}"
                    side = field_value(outcome, "name", label, out_what)
                    player = field_value(outcome, "description", label, out_what)
                    point = field_value(outcome, "point", label, out_what)
                    price = field_value(outcome, "price", label, out_what)
                    if side not in ("Over", "Under"):
                        raise SourceError(f"{label}: {out_what} is {side!r}, expected Over or Under: {short(outcome)}")
                    if not isinstance(player, str) or not player.strip():
                        raise SourceError(f"{label}: {out_what} has no player name: {short(outcome)}")
                    for name, value in (("point", point), ("price", price)):
                        if isinstance(value, bool) or not isinstance(value, (int, float)):
                            raise SourceError(f"{label}: {out_what} has {name}={value!r}, expected a number")
                    key = (book_key, market_key, player.strip(), float(point))
                    row = lines.setdefault(
                        key,
                        {
                            "game_date": day,
                            "snapshot_time": snapshot_time,
                            "snapshot_file": snapshot_file,
                            "event_id": event["id"],
                            "commence_time": event["commence_time"],
                            "home_team_abbr": event["home"],
                            "away_team_abbr": event["away"],
                            "bookmaker": book_key,
                            "market": market_key,
                            "player_name": player.strip(),
                            "line": float(point),
                            "over_odds": None,
                            "under_odds": None,
                            "source_file": label,
                        },
                    )
                    column = "over_odds" if side == "Over" else "under_odds"
                    if row[column] is not None:
                        raise SourceError(f"{label}: {out_what} repeats {side} {point} for {player!r}")
                    row[column] = float(price)
        return list(lines.values())
