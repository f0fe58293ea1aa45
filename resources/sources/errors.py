"""The one error class of every source (replay archive, live HTTP APIs).

The raw assets catch `SourceError` and show its message as the step's failure, so the message must
name what failed (the file, or the request with its secrets redacted, and the record) and must never
contain a secret.
"""


class SourceError(ValueError):
    """A source could not serve a date: unreadable file, failed request, or a payload we cannot use."""

    # Bad data stays bad: the raw assets' step retry policy is only used for transient errors.
    transient = False


class SourceUnavailable(SourceError):
    """The source kept failing (429, 5xx, timeouts) through every attempt: worth a later retry."""

    transient = True
