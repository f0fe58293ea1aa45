"""The replay source: serves, for one game date, what a live source would have returned then.

It is the embedded default source. It reads the archive folder (`NBA_REPLAY_ARCHIVE`, default
`data/replay`) and answers three questions per date: the schedule, the player box scores of that
date's games and the prop-line snapshots taken for that date's games.

Shapes of the shipped archive that shape the answers:
- 2024-25 player logs have no game id: it comes from the schedule files by date and team.
- 2025-26 has a schedule file only up to 2025-11-23: later games (and any game a schedule file
  lacks) are derived from the complete box scores, scores summed per team.
- The schedule only lists games of the season types and dates the archive holds box scores for
  (regular season, play-in, playoffs inside each season's box-score date range): the 2024-25
  playoffs are in the schedule files but not in the partial 2024-25 logs, so replaying them would
  only report what the archive lacks. Likewise a season's types of games its box scores lack (the
  2021-22 box scores have no play-in games). The NBA Cup final (not counted in player
  statistics), preseason and All-Star games are left out.

The replay clock (`now`, or NBA_REPLAY_NOW): answers as a live source would have at that moment,
so schedules, freshness and late-data healing can be exercised on the archive. Before a date's
results are published (RESULTS_PUBLISHED_AFTER: 02:00 US Eastern the next morning, after the last
West Coast game) the schedule lists the games without scores and there are no box scores; prop
lines are served only for snapshots taken at or before `now`. Without a clock everything is served.

The archive is read and reshaped into a `ReplayIndex` (its rows by date) once per archive version;
the index is kept on disk one file per date (index_cache.py), so a process reads only the dates it
serves: a run of one date ~0.02 s instead of ~0.45 s for the whole parsed archive.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, PrivateAttr

from resources.sources.base import NbaSource, SourcePayload

if TYPE_CHECKING:
    import pandas as pd

    from resources.sources.replay.archive import Archive
    from resources.sources.replay.index_cache import StoredIndex

from nba_assets.lib.clock import GAME_TIMEZONE
from nba_assets.lib.paths import DEFAULT_ARCHIVE, DEFAULT_DATA_DIR
from nba_assets.lib.raw_tables import PLAYER_BOXSCORES, PROP_LINES, SCHEDULE

# Third digit of an NBA game id: 1 preseason, 2 regular season, 3 All-Star, 4 playoffs,
# 5 play-in, 6 NBA Cup final.
SERVED_SEASON_TYPES = {"2": "regular", "4": "playoffs", "5": "play-in"}

# A date's results are published once its last game is over: 02:00 US Eastern the next morning.
RESULTS_PUBLISHED_AFTER = dt.timedelta(days=1, hours=2)

SCHEDULE_COLUMNS = SCHEDULE.source_columns  # the raw column contract (nba_assets/lib/raw_tables.py)


def season_of(day: dt.date) -> str:
    start = day.year if day.month >= 8 else day.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def _numeric(frame: pd.DataFrame, column: str) -> pd.Series:
    import pandas as pd

    from resources.sources.replay.archive import ArchiveError

    values = pd.to_numeric(frame[column], errors="coerce")
    bad = frame[values.isna() & frame[column].notna()]
    if len(bad):
        raise ArchiveError(
            f"{bad['source_file'].iloc[0]}: {len(bad)} rows have a non-numeric {column!r}, "
            f"first rows:\n{bad.head(5).to_string()}"
        )
    return values


class RowsByDate(Mapping):
    """A frame's rows by game date, as a read-only mapping: the positions of each date's rows are
    found once, a date's frame is taken when it is asked for (a run of one date takes three frames,
    not the 1,500 of every date in the archive)."""

    def __init__(self, frame: pd.DataFrame):
        self._frame = frame
        self._positions = frame.groupby("game_date").indices

    def __getitem__(self, game_date) -> pd.DataFrame:
        return self._frame.take(self._positions[game_date])

    def __iter__(self):
        return iter(self._positions)

    def __len__(self) -> int:
        return len(self._positions)


class ReplayIndex:
    """The archive reshaped per date: built once per archive version (then kept on disk per date,
    index_cache.py, and read back as a `StoredIndex` of the same mappings), then looked up."""

    def __init__(self, archive: Archive):
        self.archive = archive
        schedule = self._schedule(archive)
        self.schedule_by_date = RowsByDate(schedule)
        self.box_by_date = RowsByDate(self._boxscores(archive, schedule))
        self.props_by_date = RowsByDate(archive.prop_lines)
        self.report = archive.report

    @staticmethod
    def _games_from_team_rows(rows: pd.DataFrame) -> pd.DataFrame:
        """One row per game from team-perspective rows (one or two per game)."""
        import pandas as pd

        rows = rows.assign(points_num=_numeric(rows, "points"), plus_minus_num=_numeric(rows, "plus_minus"))
        # A team's row listed by two files (a season file and a calendar) counts once.
        rows = rows.drop_duplicates(["game_id", "team_abbr"])
        # Neutral-site games (Berlin, Paris) may list both teams as away: the source names no home
        # team, so the later team code is taken as home, to keep one row per side.
        teams = rows.groupby("game_id")["team_abbr"].transform("nunique")
        sides = rows.groupby("game_id")["home_away"].transform("nunique")
        neutral = (teams == 2) & (sides == 1)
        if neutral.any():
            later = rows["team_abbr"] == rows[neutral].groupby("game_id")["team_abbr"].transform("max").reindex(
                rows.index
            )
            rows = rows.assign(home_away=rows["home_away"].mask(neutral, later.map({True: "HOME", False: "AWAY"})))
        home = rows[rows["home_away"] == "HOME"].set_index("game_id")
        away = rows[rows["home_away"] == "AWAY"].set_index("game_id")
        games = home.join(away, how="outer", lsuffix="_home", rsuffix="_away")
        # With one side's row only, the other side's score is points minus the plus-minus.
        return pd.DataFrame(
            {
                "game_date": games["game_date_home"].fillna(games["game_date_away"]),
                "game_id": games.index,
                "home_team_abbr": games["team_abbr_home"].fillna(games["opponent_abbr_away"]),
                "away_team_abbr": games["team_abbr_away"].fillna(games["opponent_abbr_home"]),
                "home_points": games["points_num_home"].fillna(games["points_num_away"] - games["plus_minus_num_away"]),
                "away_points": games["points_num_away"].fillna(games["points_num_home"] - games["plus_minus_num_home"]),
                "source_file": games["source_file_home"].fillna(games["source_file_away"]),
            }
        ).reset_index(drop=True)

    @classmethod
    def _games_from_boxscores(cls, box: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        box = box[box["game_id"].notna() & box["home_away"].notna()]
        if box.empty:
            return pd.DataFrame(columns=SCHEDULE_COLUMNS)
        box = box.assign(points_num=_numeric(box, "points"))
        teams = box.groupby(["game_id", "game_date", "team_abbr", "opponent_abbr", "home_away"], as_index=False).agg(
            points=("points_num", "sum"), source_file=("source_file", "first")
        )
        teams["plus_minus"] = 0  # both teams' rows exist, so it is never used
        return cls._games_from_team_rows(teams.astype({"points": str, "plus_minus": str}))

    def _schedule(self, archive: Archive) -> pd.DataFrame:
        import pandas as pd

        from_files = (
            self._games_from_team_rows(archive.team_games)
            if len(archive.team_games)
            else (pd.DataFrame(columns=SCHEDULE_COLUMNS))
        )
        derived = self._games_from_boxscores(archive.boxscores)
        derived = derived[~derived["game_id"].isin(from_files["game_id"])]
        # An empty part is left out: its object-typed columns would make the scores objects.
        parts = [part for part in (from_files, derived) if len(part)]
        games = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=SCHEDULE_COLUMNS)
        if games.empty:
            return pd.DataFrame(columns=SCHEDULE_COLUMNS)
        games["season_type"] = games["game_id"].str[2].map(SERVED_SEASON_TYPES)
        games["season"] = games["game_date"].map(season_of)
        games = games[games["season_type"].notna()]
        # Only dates inside each season's box-score coverage (see the module docstring).
        box_dates = archive.boxscores.assign(season=archive.boxscores["game_date"].map(season_of))
        coverage = box_dates.groupby("season")["game_date"].agg(["min", "max"])
        games = games.join(coverage, on="season", how="inner")
        games = games[(games["game_date"] >= games["min"]) & (games["game_date"] <= games["max"])]
        # And only the season types the season's box scores hold, when their game ids tell: the
        # 2021-22 box scores have no play-in games, whose dates would only report missing games.
        with_ids = box_dates[box_dates["game_id"].notna()]
        types = set(zip(with_ids["season"], with_ids["game_id"].str[2].map(SERVED_SEASON_TYPES)))
        known = games["season"].isin(with_ids["season"])
        games = games[
            ~known | pd.Series(list(zip(games["season"], games["season_type"])), index=games.index).isin(types)
        ]
        return games[SCHEDULE_COLUMNS].reset_index(drop=True)

    @staticmethod
    def _boxscores(archive: Archive, schedule: pd.DataFrame) -> pd.DataFrame:
        import pandas as pd

        box = archive.boxscores
        missing_id = box["game_id"].isna()
        if missing_id.any():
            by_team = pd.concat(
                [
                    schedule[["game_date", "game_id", "home_team_abbr"]].rename(
                        columns={"home_team_abbr": "team_abbr"}
                    ),
                    schedule[["game_date", "game_id", "away_team_abbr"]].rename(
                        columns={"away_team_abbr": "team_abbr"}
                    ),
                ]
            )
            key = dict(zip(zip(by_team["game_date"], by_team["team_abbr"]), by_team["game_id"]))
            filled = [key.get(k) for k in zip(box.loc[missing_id, "game_date"], box.loc[missing_id, "team_abbr"])]
            box = box.copy()
            box.loc[missing_id, "game_id"] = filled
        return box


@functools.lru_cache(maxsize=4)
def _cached_index(root: Path, fingerprint: tuple) -> ReplayIndex | StoredIndex:
    # Reading and reshaping the archive takes seconds, loading all of it from the cache ~0.45 s: the
    # index is kept on disk per archive version and date (index_cache.py), so a run of one date
    # reads that date's rows only; once per process in memory.
    cache_dir = Path(os.environ.get("NBA_DATA_DIR", DEFAULT_DATA_DIR)) / "cache"
    return stored_index(root, fingerprint, cache_dir)


def stored_index(root: Path, fingerprint: tuple, cache_dir: Path) -> ReplayIndex | StoredIndex:
    """The archive's index kept on disk per date in `cache_dir` (index_cache.py), built here from
    the archive when that version has none."""
    from resources.sources.replay.archive import read_archive_cached
    from resources.sources.replay.index_cache import load_index

    def build() -> ReplayIndex:
        return ReplayIndex(read_archive_cached(root, fingerprint, cache_dir))

    return load_index(fingerprint, cache_dir, build, shaped_by=Path(__file__))


class ReplaySource(NbaSource):
    """Serves real past NBA data from the replay archive, one game date at a time."""

    archive_dir: str = Field(
        default=str(DEFAULT_ARCHIVE),
        description="Folder of archive CSV(.gz) files; every file of a known shape is read.",
    )

    now: str | None = Field(
        default=None,
        description="Replay clock: an ISO datetime (e.g. 2025-11-03T12:45-05:00); the source answers "
        "as it would have then. None: everything in the archive is served.",
    )

    _pinned: ReplayIndex | StoredIndex | None = PrivateAttr(default=None)

    @classmethod
    def from_env(cls) -> ReplaySource:
        return cls(
            archive_dir=os.environ.get("NBA_REPLAY_ARCHIVE", str(DEFAULT_ARCHIVE)),
            now=os.environ.get("NBA_REPLAY_NOW") or None,
        )

    def clock(self) -> dt.datetime | None:
        """The replay clock as an aware datetime (a naive value is US Eastern), or None."""
        from nba_assets.lib.clock import parse_moment

        return None if self.now is None else parse_moment(self.now)

    def results_published(self, game_date: dt.date) -> bool:
        """Whether the date's final scores and box scores exist at the replay clock's time."""
        from zoneinfo import ZoneInfo

        now = self.clock()
        if now is None:
            return True
        midnight = dt.datetime.combine(game_date, dt.time(), tzinfo=ZoneInfo(GAME_TIMEZONE))
        return now >= midnight + RESULTS_PUBLISHED_AFTER

    @contextmanager
    def window(self) -> Iterator[None]:
        """Every date of the window from the archive as it is now: listing and stat-ing the
        archive's files once, not once per date and source (a season: 1,614 times)."""
        self._pinned = self._index()
        try:
            yield
        finally:
            self._pinned = None

    def _index(self) -> ReplayIndex | StoredIndex:
        from resources.sources.replay.archive import archive_fingerprint

        if self._pinned is not None:
            return self._pinned
        root = Path(self.archive_dir).resolve()
        return _cached_index(root, archive_fingerprint(root))

    def describe(self) -> str:
        clock = f" at {self.now}" if self.now else ""
        return f"replay archive {Path(self.archive_dir).resolve()}{clock}"

    def file_report(self) -> list:
        return list(self._index().report)

    def schedule(self, game_date: dt.date) -> SourcePayload:
        rows = _or_empty(self._index().schedule_by_date.get(game_date), SCHEDULE_COLUMNS)
        if not self.results_published(game_date) and len(rows):
            # Before the games are over the schedule knows the match-ups, not the scores.
            rows = rows.assign(home_points=None, away_points=None)
            return SourcePayload(rows, [f"replay clock {self.now}: games not final yet"])
        return SourcePayload(rows, [])

    def player_boxscores(self, game_date: dt.date) -> SourcePayload:
        columns = PLAYER_BOXSCORES.source_columns
        if not self.results_published(game_date):
            return SourcePayload(_or_empty(None, columns), [f"replay clock {self.now}: box scores not published yet"])
        index = self._index()
        rows = index.box_by_date.get(game_date)
        notes = []
        scheduled = index.schedule_by_date.get(game_date)
        if rows is not None and scheduled is not None:
            # Rows of games outside the served schedule (e.g. the NBA Cup final) are not served.
            served = rows["game_id"].isin(scheduled["game_id"]) | rows["game_id"].isna()
            if (~served).any():
                notes.append(f"{int((~served).sum())} rows of unscheduled games not served")
            rows = rows[served]
        elif rows is not None:
            notes.append(f"{len(rows)} rows on a date without scheduled games not served")
            rows = None
        return SourcePayload(_or_empty(rows, columns), notes)

    def prop_lines(self, game_date: dt.date) -> SourcePayload:
        rows = _or_empty(self._index().props_by_date.get(game_date), PROP_LINES.source_columns)
        now = self.clock()
        if now is None or rows.empty:
            return SourcePayload(rows, [])
        # Only snapshots already taken; a snapshot of unknown time counts as taken at tip-off.
        taken = rows["snapshot_time"].fillna(rows["commence_time"])
        served = (taken <= now).to_numpy()
        notes = (
            [f"replay clock {self.now}: {int((~served).sum())} later snapshots not served"] if (~served).any() else []
        )
        return SourcePayload(rows[served].reset_index(drop=True), notes)


def _or_empty(rows: pd.DataFrame | None, columns: list[str]) -> pd.DataFrame:
    import pandas as pd

    if rows is None:
        return pd.DataFrame(columns=columns)
    return rows[columns].reset_index(drop=True)
