"""The warehouse behind `resources.interfaces.WarehouseApi`: DuckDB (local) or BigQuery (prod)."""
