"""The warehouse's tables, once: (schema, table) pairs for `warehouse.relation(*TABLE)`.

The schemas are dbt's (dbt_project/models/*/ +schema) and the Python assets' own; the warehouse
adds the deployment's dataset prefix (BigQuery) when it names the relation.
"""

RAW = "nba_raw"
REFERENCE = "nba_reference"
ANALYTICS = "nba_analytics"
FEATURES = "nba_features"
PREDICTIONS = "nba_predictions"
GRADING = "nba_grading"

# raw (Python, nba_assets/defs/ingest/raw.py; columns in lib/raw_tables.py)
SCHEDULE = (RAW, "schedule")
PLAYER_BOXSCORES = (RAW, "player_boxscores")
PROP_LINES = (RAW, "prop_lines")
# dbt
PLAYER_ALIASES = (REFERENCE, "player_aliases")
PLAYER_GAME_SUMMARY = (ANALYTICS, "player_game_summary")
TEAM_GAME_SUMMARY = (ANALYTICS, "team_game_summary")
MARKET_LINES_CONSENSUS = (ANALYTICS, "market_lines_consensus")
MARKET_BOOK_QUOTES = (ANALYTICS, "market_book_quotes")
PLAYER_MARKET_FEATURES = (FEATURES, "player_market_features")
GRADING_COVERAGE_DAILY = (GRADING, "grading_coverage_daily")
MARKET_PROP_ACCURACY = (GRADING, "market_prop_accuracy")
# predictions (Python)
MARKET_PROP_PREDICTIONS = (PREDICTIONS, "market_prop_predictions")
BEST_BETS = (PREDICTIONS, "best_bets")
BEST_BETS_GATE = (PREDICTIONS, "best_bets_gate")
