"""balldontlie (https://docs.balldontlie.io): the live schedule and player box scores of a date.

Requests (API key in the `Authorization` header):
- `GET /v1/games?dates[]=YYYY-MM-DD&per_page=100`
- `GET /v1/stats?dates[]=YYYY-MM-DD&per_page=100`
both paged by cursor: `meta.next_cursor` is sent back as `cursor` until it is absent or null.

The cursor is validated (the seed system trusted it and could loop or skip): a next cursor that is
not an integer, repeats one already used, or does not advance past the previous one (balldontlie's
cursor is the last id served, ids ascend), a page with rows but no `meta`, a row served twice, or
more than `max_pages` pages are errors naming the request.

Mapping to the raw tables (the replay source's columns):
- game_id: balldontlie game ids are integers unrelated to NBA.com's ten-digit ids ("0022500123",
  always starting "00"). Live ids are "9" + the balldontlie id zero-padded to nine digits
  ("9018448014" for game 18448014): ten digits like every id of `nba_raw`, stable across runs, and
  never equal to an NBA.com id, so a warehouse holding replayed and live dates cannot mix games.
- season: balldontlie's `season` is the starting year (2025 -> "2025-26").
- season_type: `postseason` false -> "regular", true -> "playoffs" (balldontlie has no separate
  play-in flag; play-in games count as "playoffs" here). The NBA Cup final is served like any game.
- scores: only when `status` is "Final" (otherwise it is a start time or a period, and the scores
  are partial); box-score rows of games that are not final are not served (noted), so a partial
  box score is never graded.
- minutes: "MM:SS", "MM" or empty/null -> minutes as a number; empty or zero is a listed player who
  did not play, kept with minutes 0 and zero counting stats, as the replay does.
- home/away and opponent come from the date's games (the stats rows name only the player's team).
- A game with one team code outside the 30 NBA codes is an error (schema drift); a game with two
  unknown codes is an exhibition (All-Star) and is left out, with a note.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from nba_assets.lib.raw_tables import BOX_SCORE_COUNTS
from resources.sources.errors import SourceError
from resources.sources.json_fields import field_value, short
from resources.sources.live.http_client import JsonHttpClient, JsonResponse
from resources.sources.teams import TEAM_ABBR_BY_NAME

NBA_TEAM_CODES = frozenset(TEAM_ABBR_BY_NAME.values())
LIVE_GAME_ID_PREFIX = "9"

GAME_FIELDS = (
    "id",
    "date",
    "season",
    "status",
    "postseason",
    "home_team.abbreviation",
    "visitor_team.abbreviation",
    "home_team_score",
    "visitor_team_score",
)
# Counting stats: (our column, balldontlie field), the one copy of balldontlie's names (the
# archive's balldontlie adapter and the API's stand-in read it too). The first three are required
# for players who played.
COUNTING_STATS = tuple(
    zip(
        BOX_SCORE_COUNTS,
        ("pts", "reb", "ast", "stl", "blk", "turnover", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta"),
        strict=True,
    )
)
STAT_FIELDS = (
    "id",
    "min",
    *(field for _, field in COUNTING_STATS),
    "player.id",
    "player.first_name",
    "player.last_name",
    "team.abbreviation",
    "game.id",
)
REQUIRED_WHEN_PLAYED = ("points", "rebounds", "assists")
_MINUTES = re.compile(r"^(\d{1,3})(?::(\d{1,2}))?$")


def live_game_id(balldontlie_id: int) -> str:
    return f"{LIVE_GAME_ID_PREFIX}{balldontlie_id:09d}"


def season_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def parse_minutes(value: Any, label: str, what: str) -> float:
    """ "36:47" -> 36.78, "36" -> 36.0, None/"" -> 0.0 (listed, did not play)."""
    if value is None:
        return 0.0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    if not text:
        return 0.0
    match = _MINUTES.match(text)
    if not match or int(match.group(2) or 0) >= 60:
        raise SourceError(f"{label}: {what} has minutes {value!r}, expected 'MM:SS', 'MM' or empty")
    return round(int(match.group(1)) + int(match.group(2) or 0) / 60, 4)


def _count(value: Any, label: str, what: str, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) or value < 0:
        raise SourceError(f"{label}: {what} has {name}={value!r}, expected a non-negative integer")
    return int(value)


@dataclass
class Game:
    game_id: str
    home: str
    away: str
    final: bool
    row: dict


@dataclass
class BalldontlieSource:
    """Serves a date's schedule and box scores from balldontlie through one `JsonHttpClient`."""

    http: JsonHttpClient
    per_page: int = 100
    max_pages: int = 50
    notes: list[str] = field(default_factory=list)

    def paginate(self, path: str, day: dt.date) -> tuple[list[tuple[str, Any]], str]:
        """Every row of `path` for `day` with the request of its page, following and validating
        the cursor; and the first page's request (names the whole listing)."""
        base = [("dates[]", day.isoformat()), ("per_page", self.per_page)]
        rows: list[tuple[str, Any]] = []
        seen_ids: set = set()
        sent: list[int] = []  # cursors sent so far, in order
        first_label = ""
        for page in range(1, self.max_pages + 1):
            response = self.http.get_json(path, base + ([("cursor", sent[-1])] if sent else []))
            first_label = first_label or response.label
            data, next_cursor = self._page(response)
            for row in data:
                row_id = row.get("id") if isinstance(row, dict) else None
                if row_id is not None and row_id in seen_ids:
                    raise SourceError(
                        f"{response.label}: page {page} serves row id {row_id} again (the cursor did not move past it)"
                    )
                seen_ids.add(row_id)
            rows.extend((response.label, row) for row in data)
            if next_cursor is None:
                return rows, first_label
            if next_cursor in sent or (sent and next_cursor <= sent[-1]):
                raise SourceError(
                    f"{response.label}: meta.next_cursor {next_cursor} repeats or does not "
                    f"advance past the cursors sent ({sent}); refusing to loop"
                )
            sent.append(next_cursor)
        raise SourceError(
            f"{first_label}: more than {self.max_pages} pages of {self.per_page} rows "
            f"(last cursor {sent[-1]}): a cursor that never ends, or raise max_pages"
        )

    @staticmethod
    def _page(response: JsonResponse) -> tuple[list, int | None]:
        body = response.data
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise SourceError(f"{response.label}: expected an object with a 'data' list, got {short(body)}")
        data = body["data"]
        meta = body.get("meta")
        if meta is None:
            if data:
                raise SourceError(
                    f"{response.label}: a page of {len(data)} rows without 'meta': "
                    "cannot tell whether more pages follow"
                )
            return data, None
        if not isinstance(meta, dict):
            raise SourceError(f"{response.label}: 'meta' is not an object: {short(meta)}")
        next_cursor = meta.get("next_cursor")
        if next_cursor is not None and (isinstance(next_cursor, bool) or not isinstance(next_cursor, int)):
            raise SourceError(f"{response.label}: meta.next_cursor {next_cursor!r} is not an integer")
        return data, next_cursor

    def games(self, day: dt.date) -> list[Game]:
        rows, _ = self.paginate("/v1/games", day)
        games = []
        for label, record in rows:
            what = f"game {record.get('id') if isinstance(record, dict) else short(record)}"
            if not isinstance(record, dict):
                raise SourceError(f"{label}: {what} is not an object")
            values = {name: field_value(record, name, label, what) for name in GAME_FIELDS}
            date_text = str(values["date"])[:10]
            if date_text != day.isoformat():
                raise SourceError(f"{label}: {what} is dated {values['date']!r}, not {day}")
            home, away = values["home_team.abbreviation"], values["visitor_team.abbreviation"]
            unknown = [code for code in (home, away) if code not in NBA_TEAM_CODES]
            if len(unknown) == 2:
                self.notes.append(f"game {record['id']} {away} @ {home} left out: not two NBA teams (exhibition)")
                continue
            if unknown:
                raise SourceError(
                    f"{label}: {what} names team code {unknown[0]!r}, not one of the 30 NBA codes: {short(record)}"
                )
            if (
                not isinstance(values["id"], int)
                or isinstance(values["id"], bool)
                or not isinstance(values["season"], int)
            ):
                raise SourceError(f"{label}: {what} has a non-integer id or season: {short(record)}")
            if not 0 < values["id"] < 10**9:
                raise SourceError(
                    f"{label}: {what} does not fit the live game id scheme (nine digits after "
                    f"{LIVE_GAME_ID_PREFIX!r}); widen it before loading such ids"
                )
            final = str(values["status"]).strip().lower().startswith("final")
            scores = [_count(values[k], label, what, k) for k in ("home_team_score", "visitor_team_score")]
            if final and None in scores:
                raise SourceError(f"{label}: {what} is final without both scores: {short(record)}")
            game_id = live_game_id(values["id"])
            games.append(
                Game(
                    game_id,
                    home,
                    away,
                    final,
                    {
                        "game_date": day,
                        "game_id": game_id,
                        "season": season_label(values["season"]),
                        "season_type": "playoffs" if values["postseason"] else "regular",
                        "home_team_abbr": home,
                        "away_team_abbr": away,
                        "home_points": scores[0] if final else None,
                        "away_points": scores[1] if final else None,
                        "source_file": label,
                    },
                )
            )
        return games

    def boxscore_rows(self, day: dt.date, games: list[Game]) -> list[dict]:
        by_id = {game.game_id: game for game in games}
        rows, _ = self.paginate("/v1/stats", day)
        out, not_final, unscheduled = [], {}, {}
        for label, record in rows:
            what = f"stat row {record.get('id') if isinstance(record, dict) else short(record)}"
            if not isinstance(record, dict):
                raise SourceError(f"{label}: {what} is not an object")
            values = {name: field_value(record, name, label, what) for name in STAT_FIELDS}
            name = f"{values['player.first_name'] or ''} {values['player.last_name'] or ''}".strip()
            what = f"stat row {values['id']} ({name or 'unnamed player'}, game {values['game.id']})"
            game = by_id.get(live_game_id(values["game.id"])) if isinstance(values["game.id"], int) else None
            if game is None:
                unscheduled[values["game.id"]] = unscheduled.get(values["game.id"], 0) + 1
                continue
            if not game.final:
                not_final[game.game_id] = not_final.get(game.game_id, 0) + 1
                continue
            team = values["team.abbreviation"]
            if team not in (game.home, game.away):
                raise SourceError(
                    f"{label}: {what} is for team {team!r}, which is not in game {game.away} @ {game.home}"
                )
            if not name or not isinstance(values["player.id"], int):
                raise SourceError(f"{label}: {what} has no player name or a non-integer player id")
            minutes = parse_minutes(values["min"], label, what)
            stats = {col: _count(values[src], label, what, src) for col, src in COUNTING_STATS}
            if minutes == 0:
                # Listed, did not play: zeros like the replay's box scores, not nulls.
                stats = {col: value or 0 for col, value in stats.items()}
            else:
                missing = [col for col in REQUIRED_WHEN_PLAYED if stats[col] is None]
                if missing:
                    raise SourceError(f"{label}: {what} played {minutes:g} minutes but has no {missing}")
            out.append(
                {
                    "game_date": day,
                    "game_id": game.game_id,
                    "player_id": values["player.id"],
                    "player_name": name,
                    "team_abbr": team,
                    "opponent_abbr": game.away if team == game.home else game.home,
                    "home_away": "HOME" if team == game.home else "AWAY",
                    "minutes": minutes,
                    **stats,
                    "source_file": label,
                }
            )
        for game_id, n in sorted(not_final.items()):
            self.notes.append(f"{n} stat rows of game {game_id} not served: the game is not final")
        for game_id, n in sorted(unscheduled.items(), key=str):
            self.notes.append(f"{n} stat rows of balldontlie game {game_id} not served: not in the date's games")
        return out
