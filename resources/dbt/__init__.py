"""dbt for the assets: the in-process runner with dagster-dbt's interface."""
