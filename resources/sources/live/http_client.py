"""The HTTP layer of the live sources: JSON over httpx with timeouts, bounded retries and redaction.

- Explicit timeouts on every request (connect, read, write, pool).
- Retries (tenacity) on 429, 5xx, timeouts and transport errors, with exponential backoff and
  jitter; a 429 or 503 with `Retry-After` waits what the server asked (capped). Other 4xx are not
  retried: a wrong key or a bad parameter does not get better by asking again.
- A bounded number of attempts, then `SourceError` naming the request, the last status or
  transport error, the attempts and a body excerpt.
- A body that is not JSON (malformed or truncated) is a `SourceError` naming the request.
- Pacing (pacing.py): every attempt waits its turn under the API's published rate limit.
- Secrets never leave this module: the API keys sent as query parameters (The Odds API's `apiKey`)
  or headers (balldontlie's `Authorization`) are redacted from every message built here, and a
  logging filter redacts them from httpx's own request log lines.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_base, wait_exponential_jitter

from resources.sources.errors import SourceError, SourceUnavailable
from resources.sources.live.pacing import Pacer

REDACTED = "REDACTED"
BODY_EXCERPT_CHARS = 300
RETRY_AFTER_STATUSES = (429, 503)


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try. Tests set every wait to zero (and inject `sleep`) so they never sleep."""

    max_attempts: int = 5
    backoff_initial: float = 1.0  # seconds before the 2nd attempt, doubled each time
    backoff_max: float = 30.0
    jitter: float = 1.0  # up to this many seconds added at random, so clients do not retry in step
    max_retry_after: float = 60.0  # a server asking for longer than this is waited this long


@dataclass(frozen=True)
class JsonResponse:
    data: Any
    headers: httpx.Headers
    label: str  # "GET <url with secrets redacted>"


class _Retryable(Exception):
    """An attempt failed in a way that may pass: 429, 5xx, timeout, transport error."""

    def __init__(self, reason: str, body: str = "", retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.body = body
        self.retry_after = retry_after


class _WaitRetryAfterOrBackoff(wait_base):
    """Retry-After when the server sent one (capped, plus jitter), else exponential backoff."""

    def __init__(self, policy: RetryPolicy):
        self.policy = policy
        self.backoff = wait_exponential_jitter(
            initial=policy.backoff_initial, max=policy.backoff_max, jitter=policy.jitter
        )

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, _Retryable) and error.retry_after is not None:
            return min(error.retry_after, self.policy.max_retry_after) + random.uniform(0, self.policy.jitter)
        return self.backoff(retry_state)


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


_SECRET_PARAM = re.compile(r"\b(apikey|api_key|key|token|access_token)=([^&\s\"'#]+)", re.IGNORECASE)


class Redactor:
    """Removes secrets from URLs and free text: the known secret values, and the value of any query
    parameter named like a key (`apiKey=...`) whatever it is."""

    def __init__(self, secrets: list[str] | tuple[str, ...] = ()):
        # Longest first, so a secret containing another is replaced whole.
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return _SECRET_PARAM.sub(lambda m: f"{m.group(1)}={REDACTED}", text)

    def url(self, url: str | httpx.URL) -> str:
        return self.text(unquote(str(url)))


class _RedactingLogFilter(logging.Filter):
    """httpx logs every request URL at INFO, and the Odds API key is in that URL."""

    def __init__(self):
        super().__init__()
        self.redactor = Redactor()

    def add(self, secrets: tuple[str, ...]) -> None:
        self.redactor = Redactor(tuple(self.redactor.secrets) + tuple(secrets))

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self.redactor.text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_LOG_FILTER = _RedactingLogFilter()


def _install_log_filter(secrets: tuple[str, ...]) -> None:
    _LOG_FILTER.add(secrets)
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


def _excerpt(text: str, redactor: Redactor) -> str:
    text = redactor.text(text.strip().replace("\n", " "))
    return text[:BODY_EXCERPT_CHARS] + (" ..." if len(text) > BODY_EXCERPT_CHARS else "")


@dataclass
class JsonHttpClient:
    """GET JSON from one API. Use as a context manager (one connection pool per use)."""

    base_url: str
    timeout_seconds: float = 20.0
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)  # sent with every request (API keys)
    secrets: tuple[str, ...] = ()
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    pacer: Pacer | None = None  # None: not paced
    attempts: int = 0  # requests sent (retries included), for the run's metadata
    statuses: dict[int | str, int] = field(default_factory=dict)  # per status / failure kind

    def __post_init__(self):
        self.redactor = Redactor(self.secrets)
        _install_log_filter(tuple(self.secrets))
        self._client: httpx.Client | None = None

    def __enter__(self) -> JsonHttpClient:
        self._client = httpx.Client(
            base_url=self.base_url, headers=self.headers, timeout=httpx.Timeout(self.timeout_seconds)
        )
        return self

    def __exit__(self, *exc) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def get_json(self, path: str, params: dict | list[tuple[str, Any]] | None = None) -> JsonResponse:
        if self._client is None:
            raise RuntimeError("JsonHttpClient must be used as a context manager")
        request = self._client.build_request("GET", path, params=_merge(self.params, params))
        label = f"GET {self.redactor.url(request.url)}"
        retrying = Retrying(
            stop=stop_after_attempt(self.policy.max_attempts),
            wait=_WaitRetryAfterOrBackoff(self.policy),
            retry=retry_if_exception_type(_Retryable),
            sleep=self.sleep,
            reraise=True,
        )
        try:
            response = retrying(self._attempt, request, label)
        except _Retryable as err:
            attempts = retrying.statistics.get("attempt_number", self.policy.max_attempts)
            body = f"; body: {err.body}" if err.body else ""
            raise SourceUnavailable(f"{label} failed after {attempts} attempts: {err.reason}{body}") from None
        return JsonResponse(self._decode(response, label), response.headers, label)

    def _attempt(self, request: httpx.Request, label: str) -> httpx.Response:
        assert self._client is not None
        if self.pacer is not None:
            self.pacer.wait()
        self.attempts += 1
        try:
            response = self._client.send(request)
        except httpx.TimeoutException as exc:
            self._count("timeout")
            raise _Retryable(f"timed out ({type(exc).__name__}, timeout {self.timeout_seconds:g} s)") from None
        except httpx.TransportError as exc:
            self._count("transport error")
            raise _Retryable(f"transport error {type(exc).__name__}: {self.redactor.text(str(exc))}") from None
        status = response.status_code
        self._count(status)
        if status == 429 or status >= 500:
            retry_after = (
                parse_retry_after(response.headers.get("retry-after")) if status in RETRY_AFTER_STATUSES else None
            )
            raise _Retryable(f"HTTP {status}", _excerpt(response.text, self.redactor), retry_after)
        if status >= 400:
            raise SourceError(
                f"{label} failed: HTTP {status} (not retried: a client error does not "
                f"pass by asking again); body: {_excerpt(response.text, self.redactor)}"
            )
        return response

    def _count(self, outcome: int | str) -> None:
        self.statuses[outcome] = self.statuses.get(outcome, 0) + 1

    def _decode(self, response: httpx.Response, label: str) -> Any:
        try:
            return json.loads(response.content)
        except (json.JSONDecodeError, UnicodeDecodeError) as err:
            raise SourceError(
                f"{label}: HTTP {response.status_code} but the body is not valid JSON (malformed or "
                f"truncated, {len(response.content)} bytes): {err}; body: "
                f"{_excerpt(response.text, self.redactor)}"
            ) from None


def _merge(base: dict, extra: dict | list[tuple[str, Any]] | None) -> list[tuple[str, Any]]:
    items = list(base.items())
    if isinstance(extra, dict):
        items += list(extra.items())
    elif extra:
        items += list(extra)
    return items
