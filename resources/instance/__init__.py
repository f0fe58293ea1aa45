"""The Dagster instance side: local event-log storage, and which process owns a run."""
