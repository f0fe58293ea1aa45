"""The replay archive in balldontlie's and The Odds API's documented response shapes, as of a moment.

Read through the replay source (resources/sources/replay/), with its clock off: what is served
when is decided here, by the stand-in's simulated clock.

balldontlie (docs.balldontlie.io, "Games" and "Game Player Stats"):
- game ids: the NBA.com id as a number ("0022500148" -> 22500148), so the live source's ids are
  "9" + that number ("9022500148"); stat row ids: game id x 1000 + row number (ascending, the cursor);
- `status`: the tip-off time (ISO) before it, "4th Qtr" once started, "Final" once the date's box
  scores are published (`published_at`: 06:00 US Eastern the next morning by default; a game
  marked late `hours` after that); scores only when final; stats rows only when published;
- `postseason`: true for playoffs and play-in (balldontlie has no play-in flag);
- fields the archive lacks (team conference/division, player position, height, draft, oreb, dreb,
  pf) are empty or null; percentages are computed where makes and attempts exist.

The Odds API (v4 "events" and "event odds"):
- events: the archive's games with prop lines, at their commence time; the event id is the
  archive's where it has one, else a stable 32-hex id derived from the game;
- event odds at time t: for each bookmaker and market, the lines of the latest snapshot taken by t
  (`last_update` its time), as a live API serves a book's current lines, not their history; none
  once the game has started;
- Yes/No markets (double/triple-double; the archive keeps the player without a price): one "Yes"
  outcome per player, its price null where the archive has none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
from typing import Any
from zoneinfo import ZoneInfo

from nba_assets.lib.clock import GAME_TIMEZONE
from resources.sources.live.balldontlie import COUNTING_STATS
from resources.sources.teams import TEAM_ABBR_BY_NAME

ET = ZoneInfo(GAME_TIMEZONE)
NAME_BY_CODE = {code: name for name, code in TEAM_ABBR_BY_NAME.items() if name != "LA Clippers"}
# balldontlie numbers the 30 teams 1-30 in the order of their full names (Atlanta 1, Boston 2, ...).
TEAM_ID = {code: i + 1 for i, code in enumerate(sorted(NAME_BY_CODE, key=NAME_BY_CODE.get))}
BOOK_TITLES = {
    "betmgm": "BetMGM",
    "betonlineag": "BetOnline.ag",
    "betrivers": "BetRivers",
    "bovada": "Bovada",
    "draftkings": "DraftKings",
    "fanatics": "Fanatics",
    "fanduel": "FanDuel",
    "williamhill_us": "Caesars",
}
BOOK_REGION = {book: "us" for book in BOOK_TITLES}  # every book of the archive is a US book
YES_NO_MARKETS = ("player_double_double", "player_triple_double")
DEFAULT_TIPOFF = dt.time(19, 0)  # a game without lines in the archive: 19:00 US Eastern
GAME_LENGTH = dt.timedelta(hours=2, minutes=30)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _number(value: Any) -> int | float | None:
    if _missing(value):
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def team(code: str) -> dict:
    full = NAME_BY_CODE[code]
    city, name = ("Portland", "Trail Blazers") if full == "Portland Trail Blazers" else full.rsplit(" ", 1)
    return {
        "id": TEAM_ID[code],
        "conference": "",
        "division": "",
        "city": city,
        "name": name,
        "full_name": full,
        "abbreviation": code,
    }


def event_id_of(commence: dt.datetime, home: str, away: str) -> str:
    return hashlib.md5(f"{_iso(commence)}|{home}|{away}".encode()).hexdigest()


def minutes_text(value: Any) -> str | None:
    if _missing(value):
        return None
    total = round(float(value) * 60)
    minutes, seconds = divmod(total, 60)
    return f"{minutes:02d}" if seconds == 0 else f"{minutes:02d}:{seconds:02d}"


def american_to_decimal(price: float) -> float:
    return round(1 + price / 100 if price > 0 else 1 + 100 / abs(price), 4)


class ArchiveApis:
    """Both APIs' payloads from one replay archive; a date's rows are read once and kept."""

    def __init__(self, archive_dir: str, publish_hour: int = 6):
        from resources.sources.replay.source import ReplaySource

        self.replay = ReplaySource(archive_dir=archive_dir)  # no clock: the stand-in decides
        self.publish_hour = publish_hour
        self._lock = threading.Lock()
        self._dates: dict[dt.date, dict] = {}

    # --- one date of the archive, shaped once --------------------------------------------------

    def _date(self, day: dt.date) -> dict:
        with self._lock:
            if day not in self._dates:
                self._dates[day] = self._build(day)
            return self._dates[day]

    def _build(self, day: dt.date) -> dict:
        import pandas as pd

        schedule = self.replay.schedule(day).rows
        box = self.replay.player_boxscores(day).rows
        props = self.replay.prop_lines(day).rows
        games, events = {}, {}
        if len(props):
            props = props.assign(taken=props["snapshot_time"].fillna(props["commence_time"]))
            for (commence, home, away), rows in props.groupby(["commence_time", "home_team_abbr", "away_team_abbr"]):
                ids = rows["event_id"].dropna()
                commence = pd.Timestamp(commence).to_pydatetime()
                event_id = str(ids.iloc[0]) if len(ids) else event_id_of(commence, home, away)
                events[event_id] = {
                    "id": event_id,
                    "commence": commence,
                    "home": home,
                    "away": away,
                    "lines": self._lines(rows),
                }
        tipoff = {(e["home"], e["away"]): e["commence"] for e in events.values()}
        published = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(self.publish_hour), ET)
        for row in schedule.itertuples():
            bdl_id = int(row.game_id)
            default_tip = dt.datetime.combine(day, DEFAULT_TIPOFF, ET)
            games[bdl_id] = {
                "nba_id": row.game_id,
                "bdl_id": bdl_id,
                "day": day,
                "season": int(str(row.season)[:4]),
                "postseason": row.season_type != "regular",
                "home": row.home_team_abbr,
                "away": row.away_team_abbr,
                "home_score": _number(row.home_points),
                "away_score": _number(row.away_points),
                "tipoff": tipoff.get((row.home_team_abbr, row.away_team_abbr), default_tip),
                "published": published,
            }
        stats = []
        for game_id, rows in box.groupby("game_id"):
            game = games.get(int(game_id))
            if game is None:
                continue
            rows = rows.sort_values(["team_abbr", "player_id"])
            for i, r in enumerate(rows.itertuples()):
                stats.append((game["bdl_id"] * 1000 + i, game["bdl_id"], r))
        stats.sort(key=lambda s: s[0])
        return {"games": games, "stats": stats, "events": events}

    # --- balldontlie ---------------------------------------------------------------------------

    def final_at(self, game: dict, late_hours: float) -> dt.datetime:
        """When the game shows Final with its scores (its date's publication)."""
        return game["published"]

    def stats_at(self, game: dict, late_hours: float) -> dt.datetime:
        return game["published"] + dt.timedelta(hours=late_hours)

    def bdl_game(self, game: dict, now: dt.datetime, late_hours: float) -> dict:
        final = now >= self.final_at(game, late_hours)
        started = now >= game["tipoff"]
        status = "Final" if final else ("4th Qtr" if started else _iso(game["tipoff"]))
        return {
            "id": game["bdl_id"],
            "date": game["day"].isoformat(),
            "season": game["season"],
            "status": status,
            "period": 4 if started else 0,
            "time": "Final" if final else ("" if started else None),
            "postseason": game["postseason"],
            "home_team_score": game["home_score"] if final else 0,
            "visitor_team_score": game["away_score"] if final else 0,
            "datetime": _iso(game["tipoff"]),
            "home_team": team(game["home"]),
            "visitor_team": team(game["away"]),
        }

    def bdl_games(self, days: list[dt.date], now: dt.datetime, late) -> list[dict]:
        out = []
        for day in days:
            for game in self._date(day)["games"].values():
                out.append(self.bdl_game(game, now, late(game["nba_id"])))
        return sorted(out, key=lambda g: g["id"])

    def bdl_stats(self, days: list[dt.date], now: dt.datetime, late) -> list[dict]:
        out = []
        for day in days:
            data = self._date(day)
            for stat_id, bdl_id, r in data["stats"]:
                game = data["games"][bdl_id]
                late_hours = late(game["nba_id"])
                if now < self.stats_at(game, late_hours):
                    continue
                out.append(self._stat(stat_id, game, r, now, late_hours))
        return out

    def _stat(self, stat_id: int, game: dict, r, now: dt.datetime, late_hours: float) -> dict:
        first, _, last = str(r.player_name).partition(" ")
        g = self.bdl_game(game, now, late_hours)
        # balldontlie's field names, the live source's copy (what it requests and reads).
        values = {field: _number(getattr(r, column)) for column, field in COUNTING_STATS}

        def pct(made, attempted):
            return round(made / attempted, 3) if made is not None and attempted else None

        return {
            "id": stat_id,
            "min": minutes_text(r.minutes),
            "fgm": values["fgm"],
            "fga": values["fga"],
            "fg_pct": pct(values["fgm"], values["fga"]),
            "fg3m": values["fg3m"],
            "fg3a": values["fg3a"],
            "fg3_pct": pct(values["fg3m"], values["fg3a"]),
            "ftm": values["ftm"],
            "fta": values["fta"],
            "ft_pct": pct(values["ftm"], values["fta"]),
            "oreb": None,
            "dreb": None,
            "reb": values["reb"],
            "ast": values["ast"],
            "stl": values["stl"],
            "blk": values["blk"],
            "turnover": values["turnover"],
            "pf": None,
            "pts": values["pts"],
            "player": {
                "id": int(r.player_id),
                "first_name": first,
                "last_name": last,
                "position": "",
                "height": None,
                "weight": None,
                "jersey_number": None,
                "college": None,
                "country": None,
                "draft_year": None,
                "draft_round": None,
                "draft_number": None,
                "team_id": TEAM_ID[r.team_abbr],
            },
            "team": team(r.team_abbr),
            "game": {
                "id": g["id"],
                "date": g["date"],
                "season": g["season"],
                "status": g["status"],
                "period": g["period"],
                "time": g["time"],
                "postseason": g["postseason"],
                "home_team_score": g["home_team_score"],
                "visitor_team_score": g["visitor_team_score"],
                "home_team_id": TEAM_ID[game["home"]],
                "visitor_team_id": TEAM_ID[game["away"]],
            },
        }

    # --- The Odds API --------------------------------------------------------------------------

    def events(self, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[dict]:
        """Events commencing in [start, end] and not over at `now` (the API lists upcoming and live games)."""
        day, out = start.astimezone(ET).date(), []
        while day <= end.astimezone(ET).date():
            for event in self._date(day)["events"].values():
                if start <= event["commence"] <= end and now < event["commence"] + GAME_LENGTH:
                    out.append(event)
            day += dt.timedelta(days=1)
        return sorted(out, key=lambda e: (e["commence"], e["id"]))

    def event(self, event_id: str, now: dt.datetime) -> dict | None:
        """The event with this id among the dates around `now` (an id the API no longer lists is unknown)."""
        today = now.astimezone(ET).date()
        for offset in (0, 1, -1, 2):
            event = self._date(today + dt.timedelta(days=offset))["events"].get(event_id)
            if event is not None:
                return event
        return None

    @staticmethod
    def event_json(event: dict) -> dict:
        return {
            "id": event["id"],
            "sport_key": "basketball_nba",
            "sport_title": "NBA",
            "commence_time": _iso(event["commence"]),
            "home_team": NAME_BY_CODE[event["home"]],
            "away_team": NAME_BY_CODE[event["away"]],
        }

    def event_odds(
        self, event: dict, now: dt.datetime, markets: set[str], regions: set[str], decimal: bool
    ) -> tuple[dict, set[str]]:
        """The event-odds body at `now` and the markets it holds (what the request is charged)."""
        body = {**self.event_json(event), "bookmakers": []}
        if now >= event["commence"]:
            return body, set()  # started: no pre-game lines
        served: set[str] = set()
        for book in sorted(event["lines"]):
            if BOOK_REGION.get(book, "us") not in regions:
                continue
            book_markets = []
            for market, files in event["lines"][book].items():
                if market not in markets:
                    continue
                # The book's current lines: the latest snapshot file taken by now.
                taken = [(max(t for t, _ in rows if t <= now), rows) for rows in files.values() if rows[0][0] <= now]
                if not taken:
                    continue
                _, rows = max(taken, key=lambda item: item[0])
                current = [row for t, row in rows if t <= now]
                outcomes = self._outcomes(current, market, decimal)
                if outcomes:
                    last = max(t for t, _ in rows if t <= now)
                    book_markets.append({"key": market, "last_update": _iso(last), "outcomes": outcomes})
                    served.add(market)
            if book_markets:
                body["bookmakers"].append(
                    {
                        "key": book,
                        "title": BOOK_TITLES.get(book, book),
                        "last_update": max(m["last_update"] for m in book_markets),
                        "markets": book_markets,
                    }
                )
        return body, served

    @staticmethod
    def _lines(rows) -> dict:
        """book -> market -> snapshot file -> [(time taken, row)] sorted by time: looked up per request."""
        lines: dict = {}
        for row in rows.itertuples():
            taken = row.taken.to_pydatetime()
            lines.setdefault(row.bookmaker, {}).setdefault(row.market, {}).setdefault(row.snapshot_file, []).append(
                (taken, row)
            )
        for markets in lines.values():
            for files in markets.values():
                for entries in files.values():
                    entries.sort(key=lambda entry: entry[0])
        return lines

    @staticmethod
    def _outcomes(rows, market: str, decimal: bool) -> list[dict]:
        def price(value):
            if _missing(value):
                return None
            value = float(value)
            return american_to_decimal(value) if decimal else _number(value)

        outcomes = []
        for r in rows:
            if market in YES_NO_MARKETS or _missing(r.line):
                outcomes.append({"name": "Yes", "description": r.player_name, "price": price(r.over_odds)})
                if not _missing(r.under_odds):
                    outcomes.append({"name": "No", "description": r.player_name, "price": price(r.under_odds)})
                continue
            line = _number(r.line)
            for side, value in (("Over", r.over_odds), ("Under", r.under_odds)):
                if not _missing(value):
                    outcomes.append({"name": side, "description": r.player_name, "price": price(value), "point": line})
        return outcomes
