"""One contract for both object stores: the local folder and GCS (on fake-gcs-server, the real
google-cloud-storage client through dagster-gcp's GCSResource)."""

import uuid

import pytest

from resources.object_store.gcs_store import GCSObjectStore
from resources.object_store.local_store import LocalObjectStore
from tests.emulators import BUCKET


@pytest.fixture(params=["local", "gcs"])
def store(request, tmp_path):
    if request.param == "local":
        return LocalObjectStore(base_dir=str(tmp_path))
    request.getfixturevalue("gcs_emulator")
    # A prefix per test: tests share the emulator's bucket.
    return GCSObjectStore(bucket=BUCKET, prefix=f"t{uuid.uuid4().hex[:8]}_")


def test_put_get_exists_overwrite(store):
    key = "landing/schedule/2025-11-02.csv.gz"
    assert not store.exists(key)
    uri = store.put_bytes(key, b"first")
    assert uri == store.uri(key)
    assert store.exists(key)
    assert store.get_bytes(key) == b"first"
    store.put_bytes(key, b"second version")
    assert store.get_bytes(key) == b"second version"
    assert not store.exists("landing/schedule/2025-11-03.csv.gz")


def test_missing_object_names_the_key(store):
    with pytest.raises(FileNotFoundError, match="models/market_models/2025-11-03.pkl"):
        store.get_bytes("models/market_models/2025-11-03.pkl")


@pytest.mark.parametrize("key", ["../outside.txt", "a/../../outside.txt"])
def test_keys_cannot_escape_the_root(store, key):
    with pytest.raises(ValueError, match="outside.txt"):
        store.put_bytes(key, b"x")


def test_gcs_uri_bucket_and_prefix(gcs_emulator):
    store = GCSObjectStore(bucket=BUCKET, prefix="test_")
    other = GCSObjectStore(bucket=BUCKET, prefix="prod_")
    assert store.put_bytes("v1/predictions/2025-11-02.json", b"{}") == (
        f"gs://{BUCKET}/test_v1/predictions/2025-11-02.json"
    )
    # Another prefix is another namespace: a test replay never sees or touches production's objects.
    assert not other.exists("v1/predictions/2025-11-02.json")
    blob = store.get_client().bucket(BUCKET).blob("test_v1/predictions/2025-11-02.json")
    assert blob.download_as_bytes() == b"{}"


def test_a_write_that_dies_midway_leaves_the_previous_file_whole(tmp_path, monkeypatch):
    """The local store writes a hidden temporary and renames it: a writer killed mid-write (here:
    an error after half the bytes) never leaves a truncated file under the key."""
    from pathlib import Path

    store = LocalObjectStore(base_dir=str(tmp_path))
    key = "models/market_models/2025-11-03.pkl"
    store.put_bytes(key, b"the whole first model")
    real_write = Path.write_bytes

    def dies_midway(path, data):
        real_write(path, data[: len(data) // 2])
        raise KeyboardInterrupt("killed mid-write")

    monkeypatch.setattr(Path, "write_bytes", dies_midway)
    with pytest.raises(KeyboardInterrupt):
        store.put_bytes(key, b"a second model that never fully lands")
    monkeypatch.undo()
    assert store.get_bytes(key) == b"the whole first model"
    assert [p.name for p in (tmp_path / "models" / "market_models").iterdir()] == ["2025-11-03.pkl"]
