"""Environment variables set for the duration of a block, then restored: how this process hands
values to code that reads only its environment (dbt's `env_var()` in profiles and models)."""

import os
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def environ(**values: str) -> Iterator[None]:
    """Sets environment variables for the duration, then restores each to what it was."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
