"""The stand-in's simulated clock: what "now" is for the APIs it imitates.

Frozen at a moment by default (`speed=0`): tests and `make staging-day` set it and move it on
explicitly. With `speed > 0` it runs from the moment it was set, `speed` simulated seconds per real
second. Thread-safe: the HTTP handler threads read it while a test or the admin endpoint moves it.
"""

from __future__ import annotations

import datetime as dt
import threading
import time

from nba_assets.lib.clock import parse_moment


class SimClock:
    def __init__(self, now: dt.datetime | str, speed: float = 0.0):
        self._lock = threading.Lock()
        self._set(now, speed)

    def _set(self, now: dt.datetime | str, speed: float) -> None:
        moment = parse_moment(now) if isinstance(now, str) else now
        if moment.tzinfo is None:
            raise ValueError(f"the simulated clock needs an aware datetime, got {moment!r}")
        self._base, self._speed, self._started = moment.astimezone(dt.UTC), float(speed), time.monotonic()

    def now(self) -> dt.datetime:
        """Now, simulated, in UTC."""
        with self._lock:
            return self._base + dt.timedelta(seconds=(time.monotonic() - self._started) * self._speed)

    def set(self, now: dt.datetime | str, speed: float | None = None) -> dt.datetime:
        """Moves the clock to `now` (ISO text: naive is US Eastern); `speed` None keeps the speed."""
        with self._lock:
            self._set(now, self._speed if speed is None else speed)
        return self.now()

    def advance(self, seconds: float) -> dt.datetime:
        with self._lock:
            self._base += dt.timedelta(seconds=seconds)
        return self.now()

    @property
    def speed(self) -> float:
        return self._speed
