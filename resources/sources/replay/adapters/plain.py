"""The plain contracts: the least a user's own CSV needs to be read (docs/data.md).

Prop lines (`plain_lines`): game_date, home_team, away_team, player, market, line, over_price,
under_price, bookmaker; optional commence_time (ISO with zone; default 19:00 US Eastern of
game_date), snapshot_time (when the line was taken; several snapshots may share a file). Teams as
NBA codes or full names; prices American.

Box scores (`plain_boxscores`): game_date, team, opponent, player_name, minutes, points, rebounds,
assists; optional game_id (NBA.com's ten digits; else from the schedule by date and team),
player_id (NBA.com's; else from the name), home_away (HOME/AWAY), steals, blocks, turnovers, fgm,
fga, fg3m, fg3a, ftm, fta.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from nba_assets.lib.clock import GAME_TIMEZONE
from nba_assets.lib.raw_tables import BOX_SCORE_COUNTS
from resources.sources.replay.adapters.common import (
    PROP_COLUMNS,
    Reshaped,
    box_rows,
    normalize_game_id,
    parse_dates,
    reject_unknown_teams,
    team_code,
)

LINES = frozenset(
    {"game_date", "home_team", "away_team", "player", "market", "line", "over_price", "under_price", "bookmaker"}
)
BOXSCORES = frozenset({"game_date", "team", "opponent", "player_name", "minutes", "points", "rebounds", "assists"})
BOX_RENAMED = {name: name for name in ("player_name", "minutes", *BOX_SCORE_COUNTS)}
DEFAULT_TIP_OFF = "19:00"


def lines(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    game_date = parse_dates(df, "game_date", path).dt.date
    if "commence_time" in df.columns and df["commence_time"].notna().any():
        commence = pd.to_datetime(df["commence_time"], utc=True, errors="coerce")
    else:
        commence = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    default = pd.to_datetime(df["game_date"] + " " + DEFAULT_TIP_OFF).dt.tz_localize(GAME_TIMEZONE).dt.tz_convert("UTC")
    commence = commence.fillna(default)
    snapshot_time = pd.to_datetime(df.get("snapshot_time"), utc=True, errors="coerce")
    if snapshot_time is None:
        snapshot_time = pd.Series(pd.NaT, index=df.index, dtype="datetime64[ns, UTC]")
    snapshot_file = (rel + "@" + snapshot_time.dt.strftime("%Y%m%dT%H%M%SZ")).fillna(rel)
    shaped = Reshaped(
        pd.DataFrame(
            {
                "game_date": game_date,
                "snapshot_time": snapshot_time,
                "snapshot_file": snapshot_file,
                "event_id": None,
                "commence_time": commence,
                "home_team_abbr": team_code(df["home_team"]),
                "away_team_abbr": team_code(df["away_team"]),
                "bookmaker": df["bookmaker"],
                "market": df["market"],
                "player_name": df["player"],
                "line": df["line"],
                "over_odds": df["over_price"],
                "under_odds": df["under_price"],
                "source_file": rel,
            },
            columns=PROP_COLUMNS,
            index=df.index,
        )
    )
    reject_unknown_teams(shaped, df, {"home_team_abbr": "home_team", "away_team_abbr": "away_team"})
    return shaped


def boxscores(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    has_ids = "player_id" in df.columns and df["player_id"].notna().all()
    shaped = Reshaped(
        box_rows(
            df,
            rel,
            {**BOX_RENAMED, **({"player_id": "player_id"} if has_ids else {})},
            game_date=parse_dates(df, "game_date", path).dt.date,
            game_id=normalize_game_id(df["game_id"]) if "game_id" in df.columns else None,
            team_abbr=team_code(df["team"]),
            opponent_abbr=team_code(df["opponent"]),
            home_away=df["home_away"].str.upper() if "home_away" in df.columns else None,
        ),
        resolve_player_ids=not has_ids,
    )
    reject_unknown_teams(shaped, df, {"team_abbr": "team", "opponent_abbr": "opponent"})
    return shaped
