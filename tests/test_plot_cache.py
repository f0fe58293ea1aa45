"""Plots rendered only when their inputs changed (nba_assets/lib/plot_cache.py)."""

import pandas as pd

from nba_assets.lib.plot_cache import cached_plots, digest_of, frame_bytes
from resources.object_store.local_store import LocalObjectStore


def test_a_rendering_is_reused_only_for_the_same_digest_and_names(tmp_path):
    store = LocalObjectStore(base_dir=str(tmp_path))
    renders = []

    def render(tag):
        def draw():
            renders.append(tag)
            return {"a.png": f"A{tag}".encode(), "b.png": f"B{tag}".encode()}

        return draw

    frame = pd.DataFrame({"x": [1.0, 2.0], "y": ["p", "q"]})
    digest = digest_of([frame_bytes(frame)], __file__)
    assert cached_plots(store, "cache/plots", digest, render(1), ["a.png", "b.png"]) == {"a.png": b"A1", "b.png": b"B1"}
    assert cached_plots(store, "cache/plots", digest, render(2), ["a.png", "b.png"]) == {"a.png": b"A1", "b.png": b"B1"}
    assert renders == [1]
    changed = digest_of([frame_bytes(frame.assign(x=[1.0, 2.5]))], __file__)
    assert changed != digest
    assert cached_plots(store, "cache/plots", changed, render(3), ["a.png", "b.png"])["a.png"] == b"A3"
    # A name never rendered (a market that appeared) renders them all again.
    assert cached_plots(store, "cache/plots", changed, render(4), ["a.png", "c.png"])["a.png"] == b"A4"
    assert renders == [1, 3, 4]
