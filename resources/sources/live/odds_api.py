"""The Odds API v4 (https://the-odds-api.com/liveapi/guides/v4/): live player-prop lines of a date.

Requests (API key as the `apiKey` query parameter: redacted from every message, log and metadata):
- `GET /v4/sports/basketball_nba/events?commenceTimeFrom=..&commenceTimeTo=..`: the date's games, the
  window being the US-Eastern game date in UTC (free of quota);
- per upcoming game, one request for every market and region:
  `GET /v4/sports/basketball_nba/events/{id}/odds?regions=us&markets=player_points,...&oddsFormat=american`
  (player props are served only by this event endpoint).

Credits: The Odds API charges an event-odds request markets x regions credits (markets no book
offers for the event are not charged) and reports the charge and the account's totals in the
headers `x-requests-last`, `x-requests-used` and `x-requests-remaining`. Before the first billed
request the cost is estimated (upcoming events x markets x regions) and the fetch is refused with an
error naming the budget and the estimate when it could exceed the daily budget (what earlier runs
spent for the date included) or the credits the account has left; the credits spent are summed
from `x-requests-last` (`credits`, shown as the raw asset's metadata).

One call of `prop_lines(day)` is one snapshot: `snapshot_file` is `odds_api_live_YYYYMMDD_HHMMSS`
(the fetch time, UTC, like the archive's `raw_YYYYMMDD_HHMMSS` files) and `snapshot_time` is the
market's `last_update`, else the bookmaker's, else the response's own `timestamp` (historical
responses carry one), else the response's `Date` header, else the fetch time: when the book last moved the line, which the
consensus model uses to take each book's latest line.

Rows: one per event, bookmaker, market, player (`description`) and line (`point`), with the Over and
Under prices side by side (a missing side is null, as in the archive). The Yes/No markets
(`player_double_double`, `player_triple_double`) have no line: Yes is kept as over_odds, No as
under_odds, the line is null, as the archive lands them. Team names map to codes through
`resources/sources/teams.py`; an unknown name, an outcome that is none of Over/Under/Yes/No, or an
Over/Under outcome without player, line or price is an error naming the request and the record.

The live endpoints list only upcoming and in-play games. So:
- a date before today (US Eastern, the operations clock: NBA_REPLAY_NOW when set) is an error:
  there is nothing to fetch, and an empty answer would replace the lines already loaded;
- games that have started are skipped (noted) and not paid for: their lines are in-play, not pre-game.
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
# Outcome names of the Yes/No player markets (double-double, triple-double): Yes is kept as
# over_odds, No as under_odds, the line is null (as in the archive).
YES_NO = ("Yes", "No")


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
class CreditUse:
    """The Odds API credits of one `prop_lines` call (read from the usage headers)."""

    estimate: int = 0  # before the requests: events x markets x regions
    spent: int = 0  # sum of x-requests-last over the event-odds responses
    event_requests: int = 0
    remaining: int | None = None  # x-requests-remaining of the last response
    used: int | None = None  # x-requests-used of the last response (the account's period total)


def _header_int(headers, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(float(value)) if value is not None else None
    except ValueError:
        return None


@dataclass
class OddsApiSource:
    """Serves a date's prop-line snapshot from The Odds API through one `JsonHttpClient`."""

    http: JsonHttpClient
    regions: tuple[str, ...] = ("us",)
    markets: tuple[str, ...] = ("player_points",)
    now: Callable[[], dt.datetime] = utc_now
    daily_credit_budget: int | None = None  # None: no budget
    credits_spent_before: int = 0  # by earlier runs for the same game date
    notes: list[str] = field(default_factory=list)
    credits: CreditUse = field(default_factory=CreditUse)

    @property
    def credits_per_event(self) -> int:
        """The Odds API's documented price of one event-odds request: markets x regions (an upper
        bound: markets no book offers for the event are not charged)."""
        return len(self.markets) * len(self.regions)

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
        self._read_usage(events)
        upcoming = []
        for event in self._events(events, day):
            if event["commence_time"] <= fetched_at:
                self.notes.append(
                    f"event {event['id']} ({event['away']} @ {event['home']}) started at "
                    f"{event['commence_time']:%H:%M}Z: in-play lines are not pre-game lines, skipped"
                )
            else:
                upcoming.append(event)
        self._check_budget(day, upcoming, events.label)
        rows: list[dict] = []
        for event in upcoming:
            odds = self.http.get_json(
                f"/v4/sports/{SPORT}/events/{event['id']}/odds",
                {"regions": ",".join(self.regions), "markets": ",".join(self.markets), "oddsFormat": "american"},
            )
            self.credits.event_requests += 1
            last = _header_int(odds.headers, "x-requests-last")
            # Without the header (an API that stopped sending it), count the estimate: never less.
            self.credits.spent += self.credits_per_event if last is None else last
            self._read_usage(odds)
            rows.extend(self._rows(odds, event, day, snapshot_file, fetched_at))
        self.notes.append(
            f"The Odds API credits: {self.credits.spent} spent on {self.credits.event_requests} event "
            f"requests (estimate {self.credits.estimate}); {self.credits.remaining} remaining, "
            f"{self.credits.used} used this period"
        )
        return rows

    def _read_usage(self, response: JsonResponse) -> None:
        remaining = _header_int(response.headers, "x-requests-remaining")
        used = _header_int(response.headers, "x-requests-used")
        self.credits.remaining = remaining if remaining is not None else self.credits.remaining
        self.credits.used = used if used is not None else self.credits.used

    def _check_budget(self, day: dt.date, upcoming: list[dict], label: str) -> None:
        """Refuses, before any billed request, a fetch that could exceed the budget or the account."""
        estimate = len(upcoming) * self.credits_per_event
        self.credits.estimate = estimate
        how = (
            f"{len(upcoming)} upcoming events x {len(self.markets)} markets x {len(self.regions)} "
            f"regions = {estimate} credits"
        )
        budget = self.daily_credit_budget
        if budget is not None and self.credits_spent_before + estimate > budget:
            raise SourceError(
                f"The Odds API credit budget: the lines of {day} would cost up to {how}, on top of "
                f"{self.credits_spent_before} already spent for {day}: more than the daily budget of "
                f"{budget} credits (odds_daily_credit_budget). Nothing was requested or written; raise "
                "the budget or request fewer markets or regions (odds_markets, odds_regions)."
            )
        if self.credits.remaining is not None and estimate > self.credits.remaining:
            raise SourceError(
                f"{label}: the lines of {day} would cost up to {how}, but the account has "
                f"{self.credits.remaining} credits left (x-requests-remaining). Nothing was requested or written."
            )

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
                    if side in YES_NO:
                        # Double/triple-double: no line; a price the book did not post is null.
                        point, price = None, outcome.get("price")
                        numbers = (("price", price),) if price is not None else ()
                    elif side in ("Over", "Under"):
                        point = field_value(outcome, "point", label, out_what)
                        price = field_value(outcome, "price", label, out_what)
                        numbers = (("point", point), ("price", price))
                    else:
                        raise SourceError(
                            f"{label}: {out_what} is {side!r}, expected Over/Under (or Yes/No): {short(outcome)}"
                        )
                    if not isinstance(player, str) or not player.strip():
                        raise SourceError(f"{label}: {out_what} has no player name: {short(outcome)}")
                    for name, value in numbers:
                        if isinstance(value, bool) or not isinstance(value, (int, float)):
                            raise SourceError(f"{label}: {out_what} has {name}={value!r}, expected a number")
                    line = None if point is None else float(point)
                    key = (book_key, market_key, player.strip(), line)
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
                            "line": line,
                            "over_odds": None,
                            "under_odds": None,
                            "source_file": label,
                        },
                    )
                    column = "over_odds" if side in ("Over", "Yes") else "under_odds"
                    if row.get(f"_{column}"):
                        raise SourceError(f"{label}: {out_what} repeats {side} {point} for {player!r}")
                    row[f"_{column}"] = True
                    row[column] = None if price is None else float(price)
        return [{k: v for k, v in row.items() if not k.startswith("_")} for row in lines.values()]
