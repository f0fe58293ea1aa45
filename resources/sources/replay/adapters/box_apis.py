"""Player box scores of two public APIs, as saved JSON responses or their json_normalize'd CSV.

- API-NBA (api-sports, https://api-sports.io/documentation/nba/v2): `GET /players/statistics`
  saved as `{"get": "players/statistics", "parameters": ..., "response": [...]}`, or its rows
  flattened (`player.id`, `player.firstname`, `player.lastname`, `team.code`, `team.name`,
  `game.id`, `points`, `min`, `totReb`, `assists`, `tpm`, `tpa`, `fgm`, `fga`, `ftm`, `fta`,
  `steals`, `blocks`, `turnovers`, ...). Its rows carry no date: the date is the row's `game.date`
  when an export added it, else the file's name (YYYY-MM-DD, the date the scraper asked for); a file
  with neither has its rows rejected, saying so. No home/away in the rows (the schedule has it).
- balldontlie (https://docs.balldontlie.io): `GET /v1/stats` saved as `{"data": [...], "meta": ...}`,
  or flattened (`player.first_name`, `player.last_name`, `team.abbreviation`, `team.id`, `game.id`,
  `game.date`, `game.home_team_id`, `game.status`, `min`, `pts`, `reb`, `ast`, `fg3m`, ...). Rows of
  games not final are rejected (partial box scores are never graded).

Both APIs number games and players their own way: the game id comes from the schedule (date and
team), the player id from the player's name (the archive's NBA.com players: its box scores and
`static/players.csv.gz`, through `player_lookup` and the `player_aliases` seed); a name that matches
no NBA.com player is rejected and listed.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nba_assets.lib.raw_tables import BOX_SCORE_COUNTS
from resources.sources.live.balldontlie import COUNTING_STATS
from resources.sources.replay.adapters.common import (
    Reshaped,
    as_text,
    box_rows,
    date_in_name,
    minutes_text,
    reject_unknown_teams,
    team_code,
)

API_NBA = frozenset(
    {"player.firstname", "player.lastname", "team.code", "game.id", "points", "min", "totReb", "assists"}
)
BALLDONTLIE = frozenset(
    {"player.first_name", "player.last_name", "team.abbreviation", "game.id", "game.date", "min", "pts", "reb"}
    | {"ast"}
)
API_NBA_COLUMNS = {
    "player_id": "player.id",
    "points": "points",
    "rebounds": "totReb",
    "assists": "assists",
    "steals": "steals",
    "blocks": "blocks",
    "turnovers": "turnovers",
    "fgm": "fgm",
    "fga": "fga",
    "fg3m": "tpm",
    "fg3a": "tpa",
    "ftm": "ftm",
    "fta": "fta",
}
# balldontlie's names (flattened by pandas.json_normalize), the live source's copy.
BALLDONTLIE_COLUMNS = {"player_id": "player.id", **dict(COUNTING_STATS)}
COUNTING = list(BOX_SCORE_COUNTS)


def _did_not_play_as_zeros(rows: pd.DataFrame) -> pd.DataFrame:
    """A listed player who did not play has empty stats in these APIs: zeros, as NBA.com's logs."""
    idle = rows["minutes"].isin(["0", "0.0"])
    return rows.assign(**{c: rows[c].where(~idle | rows[c].notna(), "0") for c in COUNTING})


def _opponents(game: pd.Series, team: pd.Series) -> list:
    """The other team of each row's game (both teams' rows are in the file)."""
    teams = pd.DataFrame({"game": game, "team": team}).drop_duplicates().dropna()
    pairs = teams.merge(teams, on="game", suffixes=("", "_opp"))
    pairs = pairs[pairs["team"] != pairs["team_opp"]]
    other = dict(zip(zip(pairs["game"], pairs["team"]), pairs["team_opp"]))
    return [other.get(k) for k in zip(game, team)]


def _names(first: pd.Series, last: pd.Series) -> pd.Series:
    return (first.fillna("").astype(str) + " " + last.fillna("").astype(str)).str.strip()


def api_nba(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    named = date_in_name(path)
    dates = df["game.date"] if "game.date" in df.columns else pd.Series(named, index=df.index, dtype=object)
    game_date = pd.to_datetime(dates.astype("string").str[:10], errors="coerce").dt.date
    team = team_code(df["team.code"])
    if "team.name" in df.columns:
        team = team.fillna(team_code(df["team.name"]))
    shaped = Reshaped(
        box_rows(
            df,
            rel,
            API_NBA_COLUMNS,
            game_date=game_date,
            game_id=None,  # API-NBA's own numbering: from the schedule by date and team
            player_name=_names(df["player.firstname"], df["player.lastname"]),
            team_abbr=team,
            opponent_abbr=_opponents(df["game.id"], team),
            home_away=None,
            minutes=minutes_text(df["min"]),
        ),
        resolve_player_ids=True,
    )
    shaped.rows = _did_not_play_as_zeros(shaped.rows)
    shaped.reject(
        shaped.rows["game_date"].isna(),
        "no game date (API-NBA statistics rows carry none: add game.date or name the file by date YYYY-MM-DD)",
    )
    reject_unknown_teams(shaped, df, {"team_abbr": "team.code"})
    return shaped


def balldontlie(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    team = team_code(df["team.abbreviation"])
    home_away = None
    if {"team.id", "game.home_team_id"} <= set(df.columns):
        home_away = (df["team.id"] == df["game.home_team_id"]).map({True: "HOME", False: "AWAY"})
    shaped = Reshaped(
        box_rows(
            df,
            rel,
            BALLDONTLIE_COLUMNS,
            game_date=pd.to_datetime(df["game.date"].astype("string").str[:10], errors="coerce").dt.date,
            game_id=None,  # balldontlie's own numbering: from the schedule by date and team
            player_name=_names(df["player.first_name"], df["player.last_name"]),
            team_abbr=team,
            opponent_abbr=_opponents(df["game.id"], team),
            home_away=home_away,
            minutes=minutes_text(df["min"]),
        ),
        resolve_player_ids=True,
    )
    shaped.rows = _did_not_play_as_zeros(shaped.rows)
    if "game.status" in df.columns:
        final = df["game.status"].astype("string").str.lower().str.startswith("final").fillna(False)
        shaped.reject(~final.loc[shaped.rows.index], "game not final (a partial box score)")
    shaped.reject(shaped.rows["game_date"].isna(), "unreadable game.date")
    reject_unknown_teams(shaped, df, {"team_abbr": "team.abbreviation"})
    return shaped


def flatten_api_nba(payload) -> pd.DataFrame | None:
    if isinstance(payload, dict) and str(payload.get("get", "")).startswith("players/statistics"):
        response = payload.get("response")
        if isinstance(response, list):
            return as_text(pd.json_normalize(response))
    return None


def flatten_balldontlie(payload) -> pd.DataFrame | None:
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, list) and data and all(isinstance(r, dict) and "pts" in r and "player" in r for r in data):
        return as_text(pd.json_normalize(data))
    return None
