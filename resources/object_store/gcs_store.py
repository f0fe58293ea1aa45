"""Object store on Google Cloud Storage: the interface of `LocalObjectStore`, on dagster-gcp's resource.

Keys are slash-separated paths under `prefix` in `bucket` (`landing/schedule/2025-11-02.csv.gz`,
`models/market_models/2025-11-03.pkl`, `v1/...`). An object upload is atomic: readers see the old
object or the new one, never part of one. The bucket is infrastructure: it must exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dagster_gcp import GCSResource
from pydantic import Field

if TYPE_CHECKING:
    from google.cloud import storage


class GCSObjectStore(GCSResource):
    bucket: str = Field(description="Bucket that holds the objects.")
    prefix: str = Field(default="", description="Key prefix inside the bucket (e.g. `test_`, `prod/`).")

    def _name(self, key: str) -> str:
        parts = key.split("/")
        if key.startswith("/") or any(part in ("", ".", "..") for part in parts):
            raise ValueError(f"object key {key!r} is not a relative path of named parts")
        return f"{self.prefix}{key}"

    def _blob(self, key: str) -> storage.Blob:
        return self.get_client().bucket(self.bucket).blob(self._name(key))

    def put_bytes(self, key: str, data: bytes) -> str:
        self._blob(key).upload_from_string(data, content_type="application/octet-stream")
        return self.uri(key)

    def get_bytes(self, key: str) -> bytes:
        from google.api_core.exceptions import NotFound

        try:
            return self._blob(key).download_as_bytes()
        except NotFound:
            # The same error a missing local file raises, naming the object.
            raise FileNotFoundError(f"no object {self.uri(key)}") from None

    def exists(self, key: str) -> bool:
        return self._blob(key).exists()

    def uri(self, key: str) -> str:
        return f"gs://{self.bucket}/{self._name(key)}"
