"""A window run's materializations: each date carries its own row count, the last date the preview."""

from dagster import AssetKey


def _materializations(replayed, asset: str) -> dict:
    records = replayed.instance.fetch_materializations(AssetKey(asset), limit=1000).records
    latest = {}
    for record in sorted(records, key=lambda r: r.storage_id):
        latest[record.partition_key] = record.asset_materialization.metadata
    return latest


WINDOW_SQL = "game_date BETWEEN DATE '2025-11-02' AND DATE '2025-11-04'"


def _rows_per_date(replayed, table: str) -> dict:
    counts = replayed.query(
        f"SELECT strftime(game_date, '%Y-%m-%d') AS day, count(*) AS n FROM {table} WHERE {WINDOW_SQL} GROUP BY 1"
    )
    return dict(zip(counts["day"], counts["n"]))


def test_each_date_has_its_row_count_and_only_the_last_a_preview(replayed):
    for asset, table in [
        ("player_game_summary", "nba_analytics.player_game_summary"),
        ("raw_player_boxscores", "nba_raw.player_boxscores"),
        ("market_prop_predictions", "nba_predictions.market_prop_predictions"),
    ]:
        metadata = _materializations(replayed, asset)
        expected = _rows_per_date(replayed, table)
        assert len(set(expected.values())) > 1, asset  # a window total would not pass
        for day, rows in expected.items():
            assert metadata[day]["dagster/row_count"].value == rows, (asset, day)
        assert "preview" in metadata["2025-11-04"], asset
        assert "preview" not in metadata["2025-11-02"] and "preview" not in metadata["2025-11-03"], asset


def test_staging_views_show_the_raw_rows_and_are_materialized_for_each_date(replayed):
    """A staging view is re-created by each run of its phase and materialized for the run's dates;
    it holds no rows of its own, so it carries no row count (its raw asset does)."""
    metadata = _materializations(replayed, "stg_nba_raw__player_boxscores")
    assert {"2025-11-02", "2025-11-03", "2025-11-04"} <= set(metadata)
    assert not any("dagster/row_count" in entry for entry in metadata.values())
    raw = _rows_per_date(replayed, "nba_raw.player_boxscores")
    assert _rows_per_date(replayed, "nba_staging.stg_nba_raw__player_boxscores") == raw and raw
