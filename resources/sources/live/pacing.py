"""Pacing: keep one client's requests under an API's published rate limit.

A `Pacer` spaces the start of consecutive requests by at least `60 / requests_per_minute` seconds
(retries included: a retried request is a request). It is per client, so per run: the raw assets
fetch one date after another from one process, so spacing that process's calls is what keeps a
run under the limit. Two runs at once (a backfill beside the daily schedule) each pace themselves;
the API's 429 with Retry-After, honoured by http_client.py, covers what they add up to.

Why not a library: pyrate-limiter and friends add buckets, shared backends and async support this
does not need; a monotonic clock and one lock do (and stay testable with an injected clock/sleep).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Pacer:
    """Waits before each request so that requests start at most `requests_per_minute` a minute."""

    requests_per_minute: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    waited: float = 0.0  # seconds spent waiting, for the run's metadata
    _next_start: float | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def interval(self) -> float:
        return 60.0 / self.requests_per_minute if self.requests_per_minute > 0 else 0.0

    def wait(self) -> None:
        with self._lock:
            now = self.clock()
            delay = 0.0 if self._next_start is None else max(0.0, self._next_start - now)
            self._next_start = now + delay + self.interval
        if delay > 0:
            self.waited += delay
            self.sleep(delay)
