"""The live sources: HTTP APIs (balldontlie, The Odds API) with retries and clear errors."""
