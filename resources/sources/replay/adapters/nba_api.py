"""NBA.com stats (through nba_api): player game logs in three vintages and team game logs.

- `nba_player_game_logs`: PlayerGameLogs (PLAYER_ID, GAME_ID, GAME_DATE, TEAM_ABBREVIATION, MATCHUP...)
- `nba_boxscore_traditional`: BoxScoreTraditional per game (GAME_ID, game_date, TEAM, PLAYER_ID...):
  no home/away (the schedule has it); the opponent is the game's other team.
- `nba_api_player_logs_lowercase`: a scraper's lowercase PlayerGameLog export (player, player_id,
  date, matchup...): no game id (the replay source joins date + team to the schedule for it).
- `nba_team_game_logs`: LeagueGameFinder team rows (SEASON_ID, TEAM_ABBREVIATION, GAME_ID...),
  one per team and game: the schedule and final scores.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from resources.sources.replay.adapters.common import (
    TEAM_GAME_COLUMNS,
    Reshaped,
    box_rows,
    normalize_game_id,
    parse_dates,
    split_matchup,
    team_view,
)

PLAYER_GAME_LOGS = frozenset(
    {"PLAYER_ID", "GAME_ID", "GAME_DATE", "PLAYER_NAME", "TEAM_ABBREVIATION", "MATCHUP", "MIN", "PTS", "REB", "AST"}
    | {"FG3M", "FTM"}
)
BOXSCORE_TRADITIONAL = frozenset(
    {"GAME_ID", "game_date", "TEAM", "PLAYER_ID", "PLAYER_NAME", "MIN", "PTS", "REB", "AST", "FGM", "FGA"}
    | {"FG3M", "FTM"}
)
LOWERCASE_LOGS = frozenset(
    {"player", "player_id", "date", "matchup", "minutes", "pts", "reb", "ast", "fgm", "fga", "threes_made"}
    | {"ftm", "opponent", "home_away"}
)
TEAM_GAME_LOGS = frozenset({"SEASON_ID", "TEAM_ABBREVIATION", "GAME_ID", "GAME_DATE", "MATCHUP", "PTS", "PLUS_MINUS"})

# The box-score columns each shape holds under another name (plain renames; the others are computed
# per shape). A shape's required columns are checked before reading; the rest may be absent from a
# file (older vintages) and are then null.
NBA_COLUMNS = {
    "player_id": "PLAYER_ID",
    "player_name": "PLAYER_NAME",
    "minutes": "MIN",
    "points": "PTS",
    "rebounds": "REB",
    "assists": "AST",
    "steals": "STL",
    "blocks": "BLK",
    "turnovers": "TOV",
    "fgm": "FGM",
    "fga": "FGA",
    "fg3m": "FG3M",
    "fg3a": "FG3A",
    "ftm": "FTM",
    "fta": "FTA",
}
LOWERCASE_COLUMNS = {
    "player_id": "player_id",
    "player_name": "player",
    "minutes": "minutes",
    "points": "pts",
    "rebounds": "reb",
    "assists": "ast",
    "steals": "stl",
    "blocks": "blk",
    "turnovers": "tov",
    "fgm": "fgm",
    "fga": "fga",
    "fg3m": "threes_made",
    "fg3a": "threes_attempted",
    "ftm": "ftm",
    "fta": "fta",
}


def player_game_logs(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    opponent, home_away = team_view(df["TEAM_ABBREVIATION"], df["MATCHUP"])
    return Reshaped(
        box_rows(
            df,
            rel,
            NBA_COLUMNS,
            game_date=parse_dates(df, "GAME_DATE", path).dt.date,
            game_id=normalize_game_id(df["GAME_ID"]),
            team_abbr=df["TEAM_ABBREVIATION"],
            opponent_abbr=opponent,
            home_away=home_away,
        )
    )


def boxscore_traditional(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    game_id = normalize_game_id(df["GAME_ID"])
    teams = df.assign(game_id=game_id)[["game_id", "TEAM"]].drop_duplicates()
    opponents = teams.merge(teams, on="game_id", suffixes=("", "_opp"))
    opponents = opponents[opponents["TEAM"] != opponents["TEAM_opp"]]
    opponent_by_team = dict(zip(zip(opponents["game_id"], opponents["TEAM"]), opponents["TEAM_opp"]))
    return Reshaped(
        box_rows(
            df,
            rel,
            NBA_COLUMNS,
            game_date=parse_dates(df, "game_date", path).dt.date,
            game_id=game_id,
            team_abbr=df["TEAM"],
            opponent_abbr=[opponent_by_team.get(k) for k in zip(game_id, df["TEAM"])],
            home_away=None,  # not in this shape; the schedule has it
        )
    )


def lowercase_logs(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    # No game id in this shape: the source joins date + team to the schedule for it.
    team, _, _ = split_matchup(df["matchup"])
    return Reshaped(
        box_rows(
            df,
            rel,
            LOWERCASE_COLUMNS,
            game_date=parse_dates(df, "date", path).dt.date,
            game_id=None,
            team_abbr=team,
            opponent_abbr=df["opponent"],
            home_away=df["home_away"].str.upper(),
        )
    )


def team_game_logs(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    opponent, home_away = team_view(df["TEAM_ABBREVIATION"], df["MATCHUP"])
    return Reshaped(
        pd.DataFrame(
            {
                "game_date": parse_dates(df, "GAME_DATE", path).dt.date,
                "game_id": normalize_game_id(df["GAME_ID"]),
                "team_abbr": df["TEAM_ABBREVIATION"],
                "opponent_abbr": opponent,
                "home_away": home_away,
                "points": df["PTS"],
                "plus_minus": df["PLUS_MINUS"],
                "source_file": rel,
            },
            columns=TEAM_GAME_COLUMNS,
        )
    )
