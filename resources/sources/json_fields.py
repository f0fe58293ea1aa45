"""Reading API payloads: a documented field that is absent is an error naming the request and record."""

from __future__ import annotations

from typing import Any

from resources.sources.errors import SourceError

_MISSING = object()


def short(record: Any, limit: int = 300) -> str:
    """The record as text, cut to `limit` characters (error messages quote it)."""
    text = repr(record)
    return text[:limit] + (" ..." if len(text) > limit else "")


def field_value(record: Any, dotted: str, label: str, what: str) -> Any:
    """record["a"]["b"] for "a.b"; raises naming the request (`label`) and the record (`what`)."""
    value: Any = record
    for part in dotted.split("."):
        value = value.get(part, _MISSING) if isinstance(value, dict) else _MISSING
        if value is _MISSING:
            raise SourceError(f"{label}: {what} lacks the documented field {dotted!r}: {short(record)}")
    return value
