"""The Odds API (https://the-odds-api.com/liveapi/guides/v4/): player-prop lines in four shapes.

- `odds_api_snapshot`: the archive's per-snapshot CSV rows (snapshot_file raw_YYYYMMDD_HHMMSS.csv,
  event_id, player, market, line, bookmaker, game "Away @ Home", game_time, over_odds, under_odds).
- `odds_api_historical`: the archive's historical CSV rows (source_file, ..., market_last_update).
- `odds_api_event_odds_json`: a saved response of `GET /v4/sports/{sport}/events/{id}/odds` (one
  event object), of `/v4/sports/{sport}/odds` (a list of events: one snapshot), or of the
  historical endpoints (`{"timestamp": ..., "data": <event or list>}`). It is flattened exactly as
  `pandas.json_normalize(events, record_path=["bookmakers", "markets", "outcomes"], meta=[...],
  record_prefix="outcomes_")` does and read as the next shape.
- `odds_api_json_normalized`: that flattening saved as CSV: one row per outcome with
  `outcomes_name` (Over/Under), `outcomes_description` (the player), `outcomes_price`,
  `outcomes_point`, `bookmakers.key`, `bookmakers.markets.key`, `commence_time`, `home_team`,
  `away_team` and optionally `id`, `bookmakers.last_update`, `bookmakers.markets.last_update`,
  `timestamp`. Over and Under outcomes of one player and line become one row. Outcomes of game
  markets (h2h, spreads, totals: no player) and sides other than Over/Under are rejected, counted.

The snapshot of a JSON or flattened file: its `timestamp` (historical responses) when present, else
the file itself (`snapshot_file` = its path in the archive); `snapshot_time` is when the book last
moved the market (`bookmakers.markets.last_update`, else `bookmakers.last_update`, else `timestamp`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from nba_assets.lib.clock import GAME_TIMEZONE
from resources.sources.replay.adapters.common import (
    PROP_COLUMNS,
    ArchiveError,
    Reshaped,
    as_text,
    parse_dates,
    reject_unknown_teams,
    team_code,
)

SNAPSHOT = frozenset(
    {"snapshot_file", "event_id", "player", "market", "line", "bookmaker", "game", "game_time"}
    | {"over_odds", "under_odds"}
)
HISTORICAL = frozenset(
    {"source_file", "player", "game", "game_time", "market", "line", "bookmaker", "over_odds", "under_odds"}
)
NORMALIZED = frozenset(
    {"outcomes_name", "outcomes_description", "outcomes_price", "outcomes_point", "bookmakers.key"}
    | {"bookmakers.markets.key", "commence_time", "home_team", "away_team"}
)
# What json_normalize keeps of the event, bookmaker and market beside each outcome.
EVENT_META = [
    "id",
    "sport_key",
    "commence_time",
    "home_team",
    "away_team",
    ["bookmakers", "key"],
    ["bookmakers", "title"],
    ["bookmakers", "last_update"],
    ["bookmakers", "markets", "key"],
    ["bookmakers", "markets", "last_update"],
]

_SNAPSHOT_IN_NAME = re.compile(r"(\d{8}_\d{6})")


def _lines(rows: dict, index) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=PROP_COLUMNS, index=index)


def archive_lines(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    """The archive's two CSV shapes (`odds_api_snapshot`, `odds_api_historical`)."""
    commence = parse_dates(df, "game_time", path).dt.tz_convert("UTC")
    teams = df["game"].str.split(" @ ", n=1, expand=True)
    away = team_code(teams[0])
    home = team_code(teams[1]) if teams.shape[1] > 1 else pd.Series(None, index=df.index, dtype=object)
    if "snapshot_file" in df.columns:
        snapshot_file = df["snapshot_file"]
        # The Odds API snapshot files are named raw_YYYYMMDD_HHMMSS.csv (taken as UTC).
        stamp = snapshot_file.str.extract(_SNAPSHOT_IN_NAME)[0]
        snapshot_time = pd.to_datetime(stamp, format="%Y%m%d_%H%M%S", errors="coerce").dt.tz_localize("UTC")
        event_id = df["event_id"]
    else:
        snapshot_file = df["source_file"]
        updated = df.get("market_last_update", pd.Series(None, index=df.index))
        updated = updated.fillna(df.get("bookmaker_last_update", pd.Series(None, index=df.index)))
        snapshot_time = pd.to_datetime(updated, errors="coerce", utc=True)
        event_id = None
    shaped = Reshaped(
        _lines(
            {
                "game_date": commence.dt.tz_convert(GAME_TIMEZONE).dt.date,
                "snapshot_time": snapshot_time,
                "snapshot_file": snapshot_file,
                "event_id": event_id,
                "commence_time": commence,
                "home_team_abbr": home,
                "away_team_abbr": away,
                "bookmaker": df["bookmaker"],
                "market": df["market"],
                "player_name": df["player"],
                "line": df["line"],
                "over_odds": df["over_odds"],
                "under_odds": df["under_odds"],
                "source_file": rel,
            },
            df.index,
        )
    )
    game = df.assign(away=teams[0], home=teams[1] if teams.shape[1] > 1 else None)
    reject_unknown_teams(shaped, game, {"away_team_abbr": "away", "home_team_abbr": "home"})
    return shaped


def flatten_events(payload) -> pd.DataFrame | None:
    """A saved event-odds response as json_normalize flattens it; None when it is not one."""
    timestamp = None
    if isinstance(payload, dict) and "data" in payload and "timestamp" in payload:
        timestamp, payload = payload["timestamp"], payload["data"]  # historical endpoints
    events = payload if isinstance(payload, list) else [payload]
    if not events or not all(isinstance(e, dict) and isinstance(e.get("bookmakers"), list) for e in events):
        return None
    flat = pd.json_normalize(
        events, record_path=["bookmakers", "markets", "outcomes"], meta=EVENT_META, record_prefix="outcomes_"
    )
    for column in ("outcomes_description", "outcomes_point"):  # absent when no outcome has them
        if column not in flat.columns:
            flat[column] = None
    if timestamp is not None:
        flat["timestamp"] = timestamp
    return as_text(flat)


def normalized_lines(df: pd.DataFrame, path: Path, rel: str) -> Reshaped:
    """`odds_api_json_normalized` (and the JSON responses, flattened to it)."""
    shaped = Reshaped(df.copy())
    shaped.reject(df["outcomes_description"].isna(), "game market, not a player prop (no outcomes_description)")
    shaped.reject(~shaped.rows["outcomes_name"].isin(["Over", "Under"]), "outcome neither Over nor Under")
    shaped.reject(shaped.rows["outcomes_point"].isna(), "outcome without a point (the line)")
    df = shaped.rows
    missing = pd.Series(None, index=df.index, dtype=object)
    if "timestamp" in df.columns and df["timestamp"].notna().all():
        stamp = pd.to_datetime(df["timestamp"], utc=True, errors="coerce")
        snapshot_file = "odds_api_" + stamp.dt.strftime("%Y%m%d_%H%M%S")
    else:
        snapshot_file = pd.Series(rel, index=df.index)
    updated = df.get("bookmakers.markets.last_update", missing).fillna(df.get("bookmakers.last_update", missing))
    updated = updated.fillna(df.get("timestamp", missing))
    key = pd.DataFrame(
        {
            "snapshot_file": snapshot_file,
            "event_id": df.get("id", missing),
            "commence_time": df["commence_time"],
            "home_team": df["home_team"],
            "away_team": df["away_team"],
            "bookmaker": df["bookmakers.key"],
            "market": df["bookmakers.markets.key"],
            "player_name": df["outcomes_description"].str.strip(),
            "line": df["outcomes_point"],
        },
        index=df.index,
    )
    sides = key.assign(side=df["outcomes_name"], price=df["outcomes_price"], updated=updated)
    columns = list(key.columns)
    if sides.duplicated([*columns, "side"]).any():
        repeated = sides[sides.duplicated([*columns, "side"], keep=False)].head(4)
        raise ArchiveError(f"{path}: an outcome is listed twice with the same side, first rows:\n{repeated}")
    # Over and Under side by side (a key column may be empty, e.g. no event id: kept as "").
    sides[columns] = sides[columns].fillna("")
    by_key = sides.set_index(columns)
    paired = pd.concat(
        {
            "Over": by_key[by_key["side"] == "Over"]["price"],
            "Under": by_key[by_key["side"] == "Under"]["price"],
            "updated": by_key.groupby(level=columns)["updated"].first(),
        },
        axis=1,
    ).reset_index()
    paired[columns] = paired[columns].replace("", None)
    if paired.empty:
        return Reshaped(pd.DataFrame(columns=PROP_COLUMNS), shaped.rejected)
    commence = parse_dates(paired, "commence_time", path).dt.tz_convert("UTC")
    out = Reshaped(
        _lines(
            {
                "game_date": commence.dt.tz_convert(GAME_TIMEZONE).dt.date,
                "snapshot_time": pd.to_datetime(paired["updated"], utc=True, errors="coerce"),
                "snapshot_file": paired["snapshot_file"],
                "event_id": paired["event_id"],
                "commence_time": commence,
                "home_team_abbr": team_code(paired["home_team"]),
                "away_team_abbr": team_code(paired["away_team"]),
                "bookmaker": paired["bookmaker"],
                "market": paired["market"],
                "player_name": paired["player_name"],
                "line": paired["line"],
                "over_odds": paired.get("Over"),
                "under_odds": paired.get("Under"),
                "source_file": rel,
            },
            paired.index,
        ),
        shaped.rejected,
    )
    reject_unknown_teams(out, paired, {"home_team_abbr": "home_team", "away_team_abbr": "away_team"})
    return out
