"""NBA data sources: the interface (base.py), the replay archive (replay/), the live HTTP APIs (live/)."""
