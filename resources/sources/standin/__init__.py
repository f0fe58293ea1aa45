"""Local stand-ins of the live APIs (balldontlie, The Odds API) serving the replay archive.

`server.py` (the HTTP server and its admin API), `payloads.py` (the archive in the APIs' shapes),
`clock.py` (the simulated clock), `faults.py` (429, 5xx, timeouts, a late box score). Run by hand:
`python -m resources.sources.standin --port 8765 --now 2025-11-02T12:45`. Imported only by tests,
the CLI and staging tooling, never by the code location.
"""
