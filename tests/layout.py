"""The staging layout (nba_assets/cli/staging.py) for tests: PostgreSQL from the machine's binaries,
`dagster api grpc`, `dagster-daemon` and `dagster-webserver`, each its own process, in a temporary
folder, stopped (every recorded process, PostgreSQL last) when the block ends.

    from tests.layout import running_layout, skip_without_postgres

    pytestmark = skip_without_postgres()

    @pytest.fixture(scope="module")
    def layout(tmp_path_factory):
        with running_layout(archive=...) as layout:   # one server for the module
            yield layout
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from nba_assets.cli.staging import Layout, Settings, missing


def skip_without_postgres():
    """Module mark: skip, naming what is missing, where PostgreSQL's server binaries are absent."""
    reason = missing()
    return pytest.mark.skipif(reason is not None, reason=f"staging layout: {reason}")


@contextlib.contextmanager
def running_layout(*, webserver: bool = True, code_server_hostname: str | None = None, **settings) -> Iterator[Layout]:
    """A started layout in a fresh folder under /tmp (reachable by the `postgres` user, which
    pytest's own 0700 folders are not); `settings` are `Settings` fields (heartbeats, archive...)."""
    root = Path(tempfile.mkdtemp(prefix="nba-staging-"))
    root.chmod(0o711)
    layout = Layout(root, Settings(durable=False, **settings))
    try:
        layout.start(webserver=webserver, code_server_hostname=code_server_hostname)
        yield layout
    finally:
        layout.stop()
        shutil.rmtree(root, ignore_errors=True)
