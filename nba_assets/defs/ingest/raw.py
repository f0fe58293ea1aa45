"""Raw phase: land each source payload as a file, then load typed rows into `nba_raw`.

One run covers a window of dates (a single-run backfill): every date's payload is landed as
`landing/<source>/<date>.csv.gz`, the window's rows are validated together, and the window is
replaced in one transaction. A validation or load failure writes nothing, so a date keeps its
previous rows; re-running a date replaces it, never duplicates it.
"""

import datetime as dt
import io
from collections.abc import Callable
from typing import TYPE_CHECKING

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Backoff,
    Failure,
    Jitter,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from nba_assets.lib import box_scores
from nba_assets.lib.asset_defaults import partitioned, warehouse_session
from nba_assets.lib.metadata import preview_metadata, rows_by_date, window_metadata
from nba_assets.lib.raw_tables import (
    PLAYER_BOXSCORES,
    PROP_LINES,
    RAW_SCHEMA,
    SCHEDULE,
    RawTable,
    RawValidationError,
    validate,
)
from nba_assets.lib.window import window_bounds, window_dates
from resources.interfaces import ObjectStore, Warehouse
from resources.sources.base import NbaSource

if TYPE_CHECKING:
    import pandas as pd

RAW_KWARGS = dict(
    partitioned("raw", {"duckdb", "pandas"}),
    # Sources fail transiently (rate limits, outages): retry the step with exponential backoff and
    # jitter. Bad data is not transient: those failures are raised with allow_retries=False.
    retry_policy=RetryPolicy(max_retries=3, delay=10, backoff=Backoff.EXPONENTIAL, jitter=Jitter.PLUS_MINUS),
)


def _land(store: ObjectStore, source_name: str, day: dt.date, rows: "pd.DataFrame") -> str:
    buffer = io.BytesIO()
    csv_ready(rows).to_csv(buffer, index=False, compression={"method": "gzip", "mtime": 0})
    return store.put_bytes(f"landing/{source_name}/{day.isoformat()}.csv.gz", buffer.getvalue())


def csv_ready(rows: "pd.DataFrame") -> "pd.DataFrame":
    """`rows` with its UTC timestamp columns already written as pandas' `to_csv` writes them
    ("2025-11-12 17:00:00+00:00", empty for NaT), by numpy: pandas formats each aware timestamp
    on its own, a third of landing a date's prop lines (~1 s of a season). A column with
    sub-second values, or another zone, is left to pandas. The file is the same, byte for byte."""
    import numpy as np
    import pandas as pd

    written = {}
    if rows.empty:  # a date without rows (numpy's string functions refuse empty arrays)
        return rows
    for name, dtype in rows.dtypes.items():  # the dtypes, not the columns: no Series built per column
        if not (isinstance(dtype, pd.DatetimeTZDtype) and str(dtype.tz) == "UTC"):
            continue
        values = rows[name].dt.tz_localize(None).to_numpy("datetime64[ns]")
        seconds = values.astype("datetime64[s]")
        missing = np.isnat(values)
        if (missing | (values == seconds.astype("datetime64[ns]"))).all():
            # Each distinct moment formatted once (a date's lines have a few snapshot and tip-off times).
            moments, at = np.unique(seconds, return_inverse=True)
            text = np.char.add(np.char.replace(np.datetime_as_string(moments, unit="s"), "T", " "), "+00:00")
            column = text.astype(object)[at]  # Python strings, as pandas holds text
            column[missing] = ""
            written[name] = column
    return rows.assign(**written) if written else rows


def fetch_window(
    context: AssetExecutionContext,
    store: ObjectStore,
    source: NbaSource,
    source_name: str,
) -> "tuple[pd.DataFrame, list[str], list[str], list[str]]":
    """Fetches (`source.<source_name>(date)`) and lands every date of the run's window; returns
    rows, landing URIs, empty dates, notes."""
    from resources.sources.errors import SourceError

    try:
        with source.window():
            return _fetch_dates(context, store, getattr(source, source_name), source_name)
    except SourceError as err:  # the source as a whole (e.g. an unreadable archive file)
        raise Failure(description=f"{source_name}: {err}", allow_retries=err.transient) from None


def _fetch_dates(context, store: ObjectStore, fetch: Callable[[dt.date], object], source_name: str):
    import pandas as pd

    from resources.sources.errors import SourceError

    frames, landed, empty_dates, notes = [], [], [], []
    for day in window_dates(context):
        try:
            payload = fetch(day)
        except SourceError as err:  # names the file or request; shown as the step's failure in the UI
            raise Failure(description=f"{source_name} for {day}: {err}", allow_retries=err.transient) from None
        landed.append(_land(store, source_name, day, payload.rows))
        notes.extend(f"{day}: {note}" for note in payload.notes)
        if payload.rows.empty:
            empty_dates.append(day.isoformat())
        else:
            frames.append(payload.rows)
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return rows, landed, empty_dates, notes


def _with_derived_columns(table: RawTable, rows: "pd.DataFrame") -> "pd.DataFrame":
    """Adds the columns the raw contract has this phase compute (RawTable.derived), not the
    sources: one normalization of player names whichever source served them."""
    from nba_assets.lib.identity import player_lookup

    derivations = {"player_lookup": lambda: rows["player_name"].fillna("").map(player_lookup)}
    return rows.assign(**{name: derivations[name]() for name in table.derived})


def load_window(
    context: AssetExecutionContext,
    warehouse: Warehouse,
    table: RawTable,
    rows: "pd.DataFrame",
    landed: list[str],
) -> "pd.DataFrame":
    import pandas as pd

    start, end = window_bounds(context)
    if rows.empty:
        rows = pd.DataFrame({name: pd.Series(dtype=object) for name in table.column_types})
    else:
        rows = _with_derived_columns(table, rows)
    try:
        typed = validate(table, rows[list(table.column_types)], start, end, landed)
    except RawValidationError as err:
        raise Failure(description=str(err), allow_retries=False) from None
    warehouse.replace_window(
        RAW_SCHEMA, table.name, typed, table.column_types, start, end, only_matching=table.replace_only_matching
    )
    return typed


def unique_key_check(warehouse: Warehouse, table: RawTable, context) -> AssetCheckResult:
    """Counts duplicate keys in the warehouse for the run's window (after the load)."""
    start, end = window_bounds(context)
    keys = ", ".join(table.key)
    duplicates = warehouse.query(
        f"SELECT {keys}, count(*) AS n FROM {warehouse.relation(RAW_SCHEMA, table.name)} "
        "WHERE game_date >= ? AND game_date < ? "
        f"GROUP BY {keys} HAVING count(*) > 1 LIMIT 20",
        [start, end],
    )
    return AssetCheckResult(
        check_name="unique_keys",
        passed=duplicates.empty,
        metadata={
            "key": keys,
            "duplicate_keys": len(duplicates),
            "examples": MetadataValue.md(duplicates.to_string(index=False) if len(duplicates) else "none"),
        },
    )


# The archive files each raw table is loaded from (the replay's per-file report: FileReport.kind).
FILE_KINDS = {
    "schedule": ("team_games", "boxscores"),
    "player_boxscores": ("boxscores",),
    "prop_lines": ("prop_lines",),
}


def files_metadata(source: NbaSource, table: RawTable, typed: "pd.DataFrame") -> dict:
    """The source's files feeding `table`, each accounted for (shape, rows read, served to any date,
    loaded in this window, exact duplicates dropped, rows rejected and why), and the files of no
    known shape; nothing for sources without files (live APIs)."""
    from resources.sources.replay import report

    reports = source.file_report()
    if reports is None:
        return {}
    loaded = typed["source_file"].value_counts().to_dict() if len(typed) else {}
    mine = [r for r in reports if r.kind in FILE_KINDS[table.name]]
    unknown = report.unknown(reports)
    return {
        "files": MetadataValue.md(report.markdown(mine, loaded)),
        "files_duplicates_dropped": sum(r.duplicates for r in mine),
        "files_rows_rejected": sum(r.rows_rejected for r in mine),
        "files_unknown": MetadataValue.md(report.markdown(unknown) if unknown else "none"),
    }


def archive_files_check(source: NbaSource) -> AssetCheckResult:
    """WARN when the source's folder holds files of no known shape (listed with their columns and
    the nearest shape's missing columns); the full per-file report in the metadata."""
    from resources.sources.replay import report

    reports = source.file_report()
    if reports is None:
        return AssetCheckResult(
            check_name="archive_files", passed=True, description=f"{source.describe()} reads no files."
        )
    unknown = report.unknown(reports)
    return AssetCheckResult(
        check_name="archive_files",
        passed=not unknown,
        severity=AssetCheckSeverity.WARN,
        description=(
            f"All {len(reports)} files of the archive are of a known shape."
            if not unknown
            else f"{len(unknown)} of {len(reports)} files are of no known shape and were not read: "
            + "; ".join(f"{r.file} ({report.unknown_text(r)})" for r in unknown)[:900]
        ),
        metadata={
            "files": len(reports),
            "unknown_files": len(unknown),
            "unknown": MetadataValue.md(report.markdown(unknown) if unknown else "none"),
            "report": MetadataValue.md(report.markdown(reports)),
        },
    )


def _result_metadata(context, typed, landed, empty_dates, notes, source: NbaSource, table: RawTable) -> dict:
    return {
        **window_metadata(context, rows_by_date(typed), preview_metadata(typed)),
        **files_metadata(source, table, typed),
        "source": source.describe(),
        "dates": len(landed),
        "dates_without_rows": len(empty_dates),
        "dates_without_rows_list": MetadataValue.md(
            ", ".join(empty_dates[:60]) + (" ..." if len(empty_dates) > 60 else "") or "none"
        ),
        "landing_first": MetadataValue.url(landed[0]) if landed else "none",
        "notes": MetadataValue.md("\n".join(f"- {n}" for n in notes[:30]) or "none"),
    }


def _unique_spec(asset_name: str) -> AssetCheckSpec:
    return AssetCheckSpec(
        "unique_keys", asset=asset_name, description="No two rows of the window share the table's key."
    )


@asset(
    description="Games per US-Eastern game date (teams, final scores when played), from the source "
    "schedule; landed under landing/schedule/ and loaded into nba_raw.schedule.",
    check_specs=[
        _unique_spec("raw_schedule"),
        AssetCheckSpec(
            "archive_files",
            asset="raw_schedule",
            description="Every file of the source's folder (the replay archive) is of a known shape; WARN "
            "naming each file of no known shape, its columns and the nearest shape's missing columns. "
            "The per-file report (rows read, loaded, duplicates, rejected and why) is in the metadata.",
        ),
    ],
    **RAW_KWARGS,
)
@warehouse_session
def raw_schedule(context: AssetExecutionContext, nba_source: NbaSource, landing: ObjectStore, warehouse: Warehouse):
    rows, landed, empty_dates, notes = fetch_window(context, landing, nba_source, "schedule")
    typed = load_window(context, warehouse, SCHEDULE, rows, landed)
    yield MaterializeResult(
        metadata={
            "games": len(typed),
            **_result_metadata(context, typed, landed, empty_dates, notes, nba_source, SCHEDULE),
        }
    )
    yield unique_key_check(warehouse, SCHEDULE, context)
    yield archive_files_check(nba_source)


def _missing_box_scores(warehouse: Warehouse, context) -> "tuple[pd.DataFrame, pd.DataFrame]":
    """(team sides of final games without box-score rows, final games per date) of the window
    (the rule: nba_assets/lib/box_scores.py)."""
    start, end = window_bounds(context)
    return box_scores.missing_sides(warehouse, start, end), box_scores.final_games_per_date(warehouse, start, end)


def _game_names(missing: "pd.DataFrame") -> list[str]:
    return [
        f"{r.game_date:%Y-%m-%d} {r.game_id} ({r.team_abbr} vs {r.opponent_abbr})"
        for r in missing.drop_duplicates(["game_date", "game_id"]).itertuples()
    ]


def _completeness(missing: "pd.DataFrame", finals: "pd.DataFrame") -> AssetCheckResult:
    """Every final game has box-score rows for both teams (WARN: a late game heals on arrival)."""
    listing = "\n".join(
        f"- {r.game_date:%Y-%m-%d} game {r.game_id}: no rows for {r.team_abbr}" for r in missing.head(50).itertuples()
    )
    games = _game_names(missing)
    return AssetCheckResult(
        check_name="completeness",
        passed=missing.empty,
        severity=AssetCheckSeverity.WARN,
        description=(
            "All final games have box scores for both teams."
            if missing.empty
            else f"{len(games)} of {int(finals['final_games'].sum())} final games lack box "
            "scores: " + ", ".join(games)[:500]
        ),
        metadata={
            "final_games": int(finals["final_games"].sum()),
            "games_missing_box_scores": len(games),
            "missing": MetadataValue.md(listing or "none"),
        },
    )


def _circuit_breaker(missing: "pd.DataFrame", finals: "pd.DataFrame") -> AssetCheckResult:
    """Fails when, on any date of the window, more than half of the final games lack box scores."""
    per_date = finals.set_index("game_date")["final_games"]
    missing_games = missing.drop_duplicates(["game_date", "game_id"]).groupby("game_date").size()
    broken = [day for day, n in missing_games.items() if n * 2 > per_date.get(day, 0)]
    tripped = missing[missing["game_date"].isin(broken)]
    summary = ", ".join(f"{day:%Y-%m-%d}: {missing_games[day]} of {per_date.get(day, 0)}" for day in broken)
    return AssetCheckResult(
        check_name="circuit_breaker",
        passed=not broken,
        severity=AssetCheckSeverity.ERROR,
        description=(
            "No date is missing more than half of its games' box scores."
            if not broken
            else f"Halted: more than half of the final games lack box scores ({summary}). "
            "Games: " + ", ".join(_game_names(tripped))[:800]
        ),
        metadata={
            "dates_tripped": MetadataValue.md(summary or "none"),
            "games_missing": MetadataValue.md("\n".join(f"- {g}" for g in _game_names(tripped)) or "none"),
        },
    )


@asset(
    description="Player box scores of each date's games (minutes 0 = listed, did not play), keyed "
    "by game and player, with the normalized `player_lookup`; loaded into nba_raw.player_boxscores.",
    deps=["raw_schedule"],
    check_specs=[
        AssetCheckSpec(
            "completeness",
            asset="raw_player_boxscores",
            description="Every scheduled game with a final score has box-score rows for both "
            "teams. WARN: the rest of the date goes on (a late game's predictions stay PENDING) "
            "and the late-box-score sensor retries the date until the game arrives.",
        ),
        AssetCheckSpec(
            "circuit_breaker",
            asset="raw_player_boxscores",
            blocking=True,
            description="Circuit breaker: fails when more than half of a date's final games lack "
            "box scores (a source outage, not a late game). Blocking: the window's downstream "
            "assets do not run; the alert names the games.",
        ),
        _unique_spec("raw_player_boxscores"),
    ],
    **RAW_KWARGS,
)
@warehouse_session
def raw_player_boxscores(
    context: AssetExecutionContext, nba_source: NbaSource, landing: ObjectStore, warehouse: Warehouse
):
    rows, landed, empty_dates, notes = fetch_window(context, landing, nba_source, "player_boxscores")
    typed = load_window(context, warehouse, PLAYER_BOXSCORES, rows, landed)
    yield MaterializeResult(
        metadata={
            "players_played": int((typed["minutes"] > 0).sum()) if len(typed) else 0,
            **_result_metadata(context, typed, landed, empty_dates, notes, nba_source, PLAYER_BOXSCORES),
        }
    )
    yield unique_key_check(warehouse, PLAYER_BOXSCORES, context)
    missing, finals = _missing_box_scores(warehouse, context)
    yield _completeness(missing, finals)
    yield _circuit_breaker(missing, finals)


def _credits_spent_before(context: AssetExecutionContext) -> dict[dt.date, int]:
    """Odds API credits spent per game date of the window by this asset's earlier materializations
    (their `odds_api_credits_spent` metadata): the instance's event log is the ledger every run and
    host shares, so the daily budget counts every run of a date."""
    from dagster import AssetRecordsFilter

    dates = window_dates(context)
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[d.isoformat() for d in dates]), limit=1000
    ).records
    spent: dict[dt.date, int] = {}
    for record in records:
        materialization = record.asset_materialization
        value = materialization.metadata.get("odds_api_credits_spent") if materialization else None
        if value is not None and materialization.partition:
            day = dt.date.fromisoformat(materialization.partition)
            # A window's credits are recorded once for all its dates: charged to each (an upper bound).
            spent[day] = spent.get(day, 0) + int(value.value)
    return spent


@asset(
    description="Pre-game player prop lines of every book and market, one row per snapshot, book, "
    "player and line, snapshot time kept; loaded into nba_raw.prop_lines.",
    check_specs=[_unique_spec("raw_prop_lines")],
    **RAW_KWARGS,
)
@warehouse_session
def raw_prop_lines(context: AssetExecutionContext, nba_source: NbaSource, landing: ObjectStore, warehouse: Warehouse):
    with nba_source.credit_ledger(_credits_spent_before(context)):
        rows, landed, empty_dates, notes = fetch_window(context, landing, nba_source, "prop_lines")
    typed = load_window(context, warehouse, PROP_LINES, rows, landed)
    points = typed[typed["market"] == "player_points"] if len(typed) else typed
    yield MaterializeResult(
        metadata={
            "points_lines": len(points),
            "books": int(typed["bookmaker"].nunique()) if len(typed) else 0,
            **nba_source.usage_metadata(),  # the live odds source: credits spent, remaining, budget
            **_result_metadata(context, typed, landed, empty_dates, notes, nba_source, PROP_LINES),
        }
    )
    yield unique_key_check(warehouse, PROP_LINES, context)
