"""Faults the stand-in injects on request: what the live sources must survive.

- `429`: Too Many Requests with `Retry-After` (seconds) and the API's error body;
- `5xx`: a server error (`status`, default 503 with Retry-After when given, else 500-style);
- `timeout`: the response is held `hold_seconds` (longer than the client's timeout) and then
  dropped, so the client times out and retries;
- late box score: one game's box score published `hours` after the rest of its date's.

A rule applies to the next `times` requests that match it (`api`: "balldontlie", "odds" or "*";
`path`: a substring of the request path, "" for any); rules are checked in the order added. Faults
are consumed before the request is served: a faulted request is not charged credits.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass

KINDS = ("429", "5xx", "timeout")
APIS = ("balldontlie", "odds", "*")


@dataclass
class FaultRule:
    kind: str
    api: str = "*"
    path: str = ""
    times: int = 1
    retry_after: float | None = None
    status: int = 500
    hold_seconds: float = 5.0

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r} is not one of {KINDS}")
        if self.api not in APIS:
            raise ValueError(f"fault api {self.api!r} is not one of {APIS}")
        if self.kind == "5xx" and not 500 <= self.status <= 599:
            raise ValueError(f"a 5xx fault needs a status 500-599, got {self.status}")
        if self.times < 1:
            raise ValueError(f"a fault applies to 1 or more requests, got times={self.times}")

    def matches(self, api: str, path: str) -> bool:
        return self.api in ("*", api) and self.path in path


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._late: dict[str, float] = {}  # NBA game id -> hours after the date's publication
        self.applied: list[dict] = []  # every fault served, in order

    def add(self, rule: FaultRule | None = None, **fields) -> FaultRule:
        rule = rule or FaultRule(**fields)
        with self._lock:
            self._rules.append(rule)
        return rule

    def take(self, api: str, path: str) -> FaultRule | None:
        """The fault for this request, if one is pending (consumed)."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(api, path):
                    rule.times -= 1
                    if rule.times == 0:
                        self._rules.remove(rule)
                    self.applied.append({"api": api, "path": path, "kind": rule.kind})
                    return rule
        return None

    def late_box_score(self, game_id: str, hours: float) -> None:
        """Publishes game `game_id`'s box score (NBA.com id, e.g. "0022500148", or the balldontlie
        id 22500148) `hours` after the rest of its date's."""
        if hours < 0:
            raise ValueError(f"a late box score is published 0 or more hours late, got {hours}")
        with self._lock:
            self._late[f"{int(game_id):010d}"] = float(hours)

    def late_hours(self, nba_game_id: str) -> float:
        with self._lock:
            return self._late.get(nba_game_id, 0.0)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._late.clear()

    def describe(self) -> dict:
        with self._lock:
            return {"pending": [asdict(r) for r in self._rules], "late_box_scores": dict(self._late)}
