"""Builds the recorded API responses under tests/recorded/ from the replay archive's real 2025-11-02 data.

No network here: the responses are the archive's real games, players, minutes, points, rebounds,
assists, shooting and sportsbook lines of 2025-11-02, written in each API's documented response
shape (balldontlie: docs.balldontlie.io "Get All Games" / "Get All Stats", cursor pagination; The
Odds API: v4 "GET events" and "GET event odds"). Fields the archive lacks are filled plausibly and
deterministically: balldontlie ids (games 18446820 + n, stat rows 21877000 + n, team ids 1-30
as balldontlie numbers them), turnovers, field-goal attempts where the archive has no percentage, `last_update`
times. Two listed players who did not play that night are added (balldontlie lists inactive players
with "00" or null minutes).

Run from the project root to rebuild: `.venv/bin/python -m tests.recorded.build_recordings`.
"""

import json
from pathlib import Path

from resources.sources.standin.payloads import TEAM_ID, team  # balldontlie teams 1-30, one copy
from tests.conftest import ARCHIVE, BOX_FILE, PROPS_FILE, props_game_date, read_text

DAY = "2025-11-02"
OUT = Path(__file__).resolve().parent
PER_PAGE = 100
FIRST_GAME_ID = 18446820
FIRST_STAT_ID = 21877000


def num(value) -> int:
    return int(float(value)) if isinstance(value, str) and value else 0


def build_balldontlie() -> None:
    box = read_text(ARCHIVE / BOX_FILE)
    box = box[box["GAME_DATE"] == DAY].copy()
    parts = box["MATCHUP"].str.extract(r"^(\w+) (vs\.|@) (\w+)$")
    box["home"] = parts[0].where(parts[1] == "vs.", parts[2])
    box["away"] = parts[2].where(parts[1] == "vs.", parts[0])
    points = box.assign(p=box["PTS"].astype(int)).groupby(["GAME_ID", "TEAM_ABBREVIATION"])["p"].sum()
    games = []
    for n, (game_id, rows) in enumerate(box.groupby("GAME_ID", sort=True)):
        home, away = rows["home"].iloc[0], rows["away"].iloc[0]
        games.append(
            {
                "id": FIRST_GAME_ID + n,
                "date": DAY,
                "datetime": None,
                "season": 2025,
                "status": "Final",
                "period": 4,
                "time": "Final",
                "postseason": False,
                "home_team_score": int(points[(game_id, home)]),
                "visitor_team_score": int(points[(game_id, away)]),
                "home_team": team(home),
                "visitor_team": team(away),
                "_nba_game_id": game_id,
            }
        )
    tipoffs = [
        "2025-11-02T20:30:00.000Z",
        "2025-11-02T23:00:00.000Z",
        "2025-11-02T23:00:00.000Z",
        "2025-11-02T23:00:00.000Z",
        "2025-11-02T23:10:00.000Z",
        "2025-11-03T00:00:00.000Z",
        "2025-11-03T01:00:00.000Z",
        "2025-11-03T02:30:00.000Z",
    ]
    for game, tip in zip(games, tipoffs):
        game["datetime"] = tip
    game_by_nba = {g.pop("_nba_game_id"): g for g in games}

    stats = []
    for _, r in box.iterrows():
        game = game_by_nba[r["GAME_ID"]]
        pts, fg3m, ftm = num(r["PTS"]), num(r["FG3M"]), num(r["FTM"])
        fgm = (pts - fg3m - ftm) // 2
        pct = float(r["FG_PCT"]) if isinstance(r["FG_PCT"], str) else None
        fga = round(fgm / pct) if pct else max(num(r["FG3A"]), 1 if pct == 0 else 0)
        first, _, last = r["PLAYER_NAME"].partition(" ")
        stats.append(
            _stat(
                r["PLAYER_ID"],
                first,
                last,
                r["TEAM_ABBREVIATION"],
                game,
                {
                    "min": str(num(r["MIN"])),
                    "pts": pts,
                    "reb": num(r["REB"]),
                    "ast": num(r["AST"]),
                    "stl": num(r["STL"]),
                    "blk": num(r["BLK"]),
                    "turnover": num(r["AST"]) // 3,
                    "fgm": fgm,
                    "fga": fga,
                    "fg3m": fg3m,
                    "fg3a": num(r["FG3A"]),
                    "ftm": ftm,
                    "fta": num(r["FTA"]),
                },
            )
        )
    okc_nop = next(g for g in games if g["home_team"]["abbreviation"] == "OKC")
    zero = {k: 0 for k in ("pts", "reb", "ast", "stl", "blk", "turnover", "fgm", "fga", "fg3m", "fg3a", "ftm", "fta")}
    stats.append(_stat("1631114", "Jalen", "Williams", "OKC", okc_nop, {"min": None, **{k: None for k in zero}}))
    stats.append(_stat("1641713", "Nikola", "Topic", "OKC", okc_nop, {"min": "00", **zero}))
    # Stat ids ascend in the order balldontlie serves rows (the cursor is the last id of a page).
    stats.sort(key=lambda s: (s["game"]["id"], s["team"]["abbreviation"], s["player"]["last_name"]))
    for i, stat in enumerate(stats):
        stat["id"] = FIRST_STAT_ID + i

    (OUT / "balldontlie").mkdir(exist_ok=True)
    _write(OUT / "balldontlie" / f"games_{DAY}.json", games, {"per_page": PER_PAGE})
    pages = [stats[i : i + PER_PAGE] for i in range(0, len(stats), PER_PAGE)]
    for i, page in enumerate(pages, start=1):
        meta = {"per_page": PER_PAGE}
        if i < len(pages):
            meta["next_cursor"] = page[-1]["id"]
        _write(OUT / "balldontlie" / f"stats_{DAY}_page{i}.json", page, meta)


def _stat(player_id, first, last, code, game, values) -> dict:
    return {
        "id": None,
        **values,
        "player": {
            "id": int(player_id),
            "first_name": first,
            "last_name": last,
            "position": "",
            "team_id": TEAM_ID[code],
        },
        "team": team(code),
        "game": {
            k: game[k]
            for k in (
                "id",
                "date",
                "season",
                "status",
                "period",
                "time",
                "postseason",
                "home_team_score",
                "visitor_team_score",
                "datetime",
            )
        }
        | {"home_team_id": game["home_team"]["id"], "visitor_team_id": game["visitor_team"]["id"]},
    }


def _write(path: Path, data: list, meta: dict) -> None:
    lines = ",\n".join("  " + json.dumps(row) for row in data)
    path.write_text(f'{{"data": [\n{lines}\n],\n"meta": {json.dumps(meta)}}}\n')


BOOKS = {"draftkings": ("DraftKings", "16:58:41"), "fanduel": ("FanDuel", "16:57:12"), "bovada": ("Bovada", "16:59:30")}


def build_odds_api() -> None:
    props = read_text(ARCHIVE / PROPS_FILE)
    props = props[(props_game_date(props) == DAY) & (props["market"] == "player_points")]
    events = []
    for (event_id, game, time), _ in props.groupby(["event_id", "game", "game_time"]):
        away, home = game.split(" @ ")
        events.append(
            {
                "id": event_id,
                "sport_key": "basketball_nba",
                "sport_title": "NBA",
                "commence_time": time,
                "home_team": home,
                "away_team": away,
            }
        )
    events.sort(key=lambda e: (e["commence_time"], e["id"]))
    (OUT / "odds_api").mkdir(exist_ok=True)
    (OUT / "odds_api" / f"events_{DAY}.json").write_text(json.dumps(events, indent=1) + "\n")
    for event in events:
        rows = props[props["event_id"] == event["id"]]
        bookmakers = []
        for key, (title, clock) in BOOKS.items():
            book = rows[rows["bookmaker"] == key]
            if key == "bovada" and event["home_team"] != "Los Angeles Lakers":
                continue  # alternate lines of one game are enough
            if book.empty:
                continue
            outcomes = []
            for _, r in book.iterrows():
                for side, price in (("Over", r["over_odds"]), ("Under", r["under_odds"])):
                    if isinstance(price, str):
                        outcomes.append(
                            {
                                "name": side,
                                "description": r["player"],
                                "price": int(float(price)),
                                "point": float(r["line"]),
                            }
                        )
            market = {"key": "player_points", "last_update": f"{DAY}T{clock}Z", "outcomes": outcomes}
            if key == "fanduel":
                del market["last_update"]  # documented as optional: the bookmaker's time applies
            bookmakers.append({"key": key, "title": title, "last_update": f"{DAY}T{clock}Z", "markets": [market]})
        body = {**event, "bookmakers": bookmakers}
        (OUT / "odds_api" / f"event_odds_{event['id']}.json").write_text(json.dumps(body, indent=1) + "\n")


if __name__ == "__main__":
    build_balldontlie()
    build_odds_api()
