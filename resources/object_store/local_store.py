"""Object store for landing files: a local folder by default (GCS in production, same interface)."""

import os
from pathlib import Path

from dagster import ConfigurableResource
from pydantic import Field, PrivateAttr


class LocalObjectStore(ConfigurableResource):
    """Keys are slash-separated paths under `base_dir`; writes are atomic (temp file + rename)."""

    base_dir: str = Field(description="Folder that plays the bucket.")

    _root: Path | None = PrivateAttr(default=None)

    def _path(self, key: str) -> Path:
        # Checked on the key's text, as a bucket would see it (no filesystem calls: a season's
        # replay writes ~3,300 files).
        parts = key.split("/")
        if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"object key {key!r} escapes the store root or is not a file key")
        if self._root is None:
            self._root = Path(self.base_dir).resolve()
        return self._root.joinpath(*parts)

    def put_bytes(self, key: str, data: bytes) -> str:
        # Written beside the target under a hidden name of this process, then renamed over it: a
        # reader sees the old file or the new one, never a truncated one, even if this process is
        # killed mid-write (a killed writer leaves only its hidden temporary, which no key names).
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).exists()

    def uri(self, key: str) -> str:
        return self._path(key).as_uri()
