"""The gate's simulation (docs/gate.md): how often the gate (nba_assets/lib/gate.py) publishes a
system that knows nothing the market does not, and how often one that knows more, on the REAL
archive's rows.

Rows: every (game date, market, player) of the shipped sportsbook lines (data/replay/props) whose
player played (data/replay/boxscores): the line most books quote, the market's de-vigged
P(over | no push) averaged over the books quoting it (probability.devig_over), and whether the
player went over (pushes dropped: the gate scores P(over | no push)). These are simulation inputs,
not the platform's consensus (dbt's market_lines_consensus): any real line with its real price and
its real outcome serves to measure the rule.

Simulated systems, each on the real rows (outcomes and market probabilities untouched):
- null: the market's probability plus noise N(0, NOISE) that carries no information (its Brier
  skill against the market is below 0 in expectation);
- boundary: moved `boundary_shift` toward the outcome, plus the same noise: the shift buys exactly
  what the noise costs, so its expected Brier skill is 0 (as good as the market, no better);
- informed: moved `shift` toward the outcome (p + shift * (y - p)), plus the same noise.

A record is `window` distinct real dates of the market drawn at random (records longer than the
market's archive are not simulated: threes, 197 dates, gives the long ones); the gate decides on it. The rate of a system is the share of its
records the gate publishes: a date's decision is one record.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from nba_assets.lib import gate
from nba_assets.lib import probability as prob
from nba_assets.lib.identity import player_lookup
from nba_assets.lib.markets import MARKETS
from resources.sources.replay.adapters.nba_api import LOWERCASE_COLUMNS, NBA_COLUMNS

ARCHIVE = Path(__file__).resolve().parent.parent / "data" / "replay"
# The noise of every simulated system: the typical disagreement of a model with the market.
NOISE = 0.05


def archive_rows(archive: Path = ARCHIVE) -> pd.DataFrame:
    """(market, game_date, p_market, went_over) of the archive's lines with an outcome."""
    props = pd.concat([pd.read_csv(path) for path in sorted((archive / "props").glob("*.csv.gz"))], ignore_index=True)
    raw = {m.raw_market: m for m in MARKETS}
    props = props[props["market"].isin(raw) & props["over_odds"].notna() & props["under_odds"].notna()]
    props = props.assign(
        game_date=pd.to_datetime(props["game_time"], utc=True).dt.tz_convert("America/New_York").dt.date.astype(str),
        player_lookup=props["player"].map(player_lookup),
        p=prob.devig_over(props["over_odds"], props["under_odds"]),
    )
    keys = ["game_date", "market", "player_lookup"]
    # A book quoting twice (two snapshots, two files): one quote per book and line.
    props = props.drop_duplicates([*keys, "bookmaker", "line"], keep="last")
    books = props.groupby([*keys, "line"]).agg(books=("p", "size"), p_market=("p", "mean")).reset_index()
    main = books.sort_values([*keys, "books", "line"], ascending=[True, True, True, False, True])
    main = main.drop_duplicates(keys)
    box = box_scores(archive)
    rows = main.merge(box, on=["game_date", "player_lookup"])
    actual = np.zeros(len(rows))
    for market in MARKETS:
        at = (rows["market"] == market.raw_market).to_numpy()
        actual[at] = rows.loc[at, list(market.columns)].sum(axis=1).to_numpy(float)
    rows = rows.assign(market=rows["market"].map({k: m.market for k, m in raw.items()}), actual=actual)
    rows = rows[rows["actual"] != rows["line"]]
    return (
        rows.assign(went_over=(rows["actual"] > rows["line"]).astype(float))[
            ["market", "game_date", "player_lookup", "line", "books", "p_market", "went_over"]
        ]
        .sort_values(["market", "game_date", "player_lookup"])
        .reset_index(drop=True)
    )


def box_scores(archive: Path) -> pd.DataFrame:
    """Played games of 2024-25 (partial) and 2025-26: the box-score columns of every market."""
    # Each file's column names are its archive adapter's (the lowercase logs', nba_api's).
    stats = list(dict.fromkeys(column for market in MARKETS for column in market.columns))
    frames = []
    for name, columns, date_column in (
        ("player_game_logs_2024_25_partial.csv.gz", LOWERCASE_COLUMNS, "date"),
        ("player_game_logs_2025_26.csv.gz", NBA_COLUMNS, "GAME_DATE"),
    ):
        keep = {"game_date": date_column, "name": columns["player_name"]}
        keep |= {column: columns[column] for column in ("minutes", *stats)}
        frame = pd.read_csv(archive / "boxscores" / name, usecols=list(keep.values()))
        frames.append(frame.rename(columns={source: ours for ours, source in keep.items()}))
    previous, current = frames
    box = pd.concat([previous, current], ignore_index=True)
    box = box[box["minutes"].fillna(0) > 0]
    box = box.assign(player_lookup=box["name"].map(player_lookup))
    return box.drop_duplicates(["game_date", "player_lookup"], keep=False).drop(columns=["name", "minutes"])


@dataclass(frozen=True)
class Rates:
    """What the gate did with the simulated records of one system: records, published, the rate
    and its 95% Wilson interval (the simulation's own sampling error)."""

    records: int
    published: int

    @property
    def rate(self) -> float:
        return self.published / self.records

    @property
    def interval(self) -> tuple[float, float]:
        return prob.wilson(self.published, self.records)


def boundary_shift(rows: pd.DataFrame, noise: float = NOISE) -> float:
    """The shift toward the outcome that buys exactly what the noise costs: with p + s (y - p) + e,
    E[Brier] = (1 - s)^2 Brier(market) + noise^2, equal to the market's at this s."""
    market_brier = float(np.mean((rows["p_market"] - rows["went_over"]) ** 2))
    return 1 - math.sqrt(1 - noise**2 / market_brier)


def simulate(
    rows: pd.DataFrame,
    shift: float,
    window: int,
    draws: int = 100,
    records_per_draw: int = 10,
    noise: float = NOISE,
    seed: int = 0,
) -> Rates | None:
    """The gate's decisions on records of `window` real dates of one market's `rows` for a system
    p + shift * (y - p) + N(0, noise). `draws` noise draws over every row, `records_per_draw`
    records of distinct random dates from each (vectorized: one call of gate.skill_intervals). None
    when the market has fewer real dates than `window` (a record of repeated dates would claim
    more evidence than the archive holds)."""
    rng = np.random.default_rng(seed)
    rows = rows.sort_values("game_date", kind="mergesort")
    p, y = rows["p_market"].to_numpy(float), rows["went_over"].to_numpy(float)
    _, starts, counts = np.unique(rows["game_date"].to_numpy(), return_index=True, return_counts=True)
    n_dates = len(starts)
    if window > n_dates:
        return None
    system = p + shift * (y - p) + rng.normal(0.0, noise, size=(draws, len(p)))
    daily_system = np.add.reduceat(gate.squared_errors(system, y), starts, axis=1)  # (draws, dates)
    daily_market = np.add.reduceat(gate.squared_errors(p, y), starts)  # (dates,)
    records = draws * records_per_draw
    picked = np.argsort(rng.random((records, n_dates)), axis=1)[:, :window]
    draw = np.repeat(np.arange(draws), records_per_draw)[:, None]
    _, low, high = gate.skill_intervals(daily_system[draw, picked], daily_market[picked])
    state = gate.statuses(np.full(records, window), counts[picked].sum(axis=1), low, high, window)
    return Rates(records, int((state == gate.PUBLISHED).sum()))
