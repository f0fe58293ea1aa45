"""The points model's trees without scikit-learn (nba_assets/defs/model/tree_ensemble.py): the same
predictions as scikit-learn's, bit for bit, on generated data with missing values in training, in
prediction only, and a feature that is missing together with the target's signal ("split on nans",
whose threshold is +inf); what it refuses; and that a stored points model predicts in a process
that never imports scikit-learn."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import HistGradientBoostingRegressor

from nba_assets.defs.model.tree_ensemble import TreeEnsemble

COLUMNS = ["a", "b", "c", "d"]


def generated(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(rng.normal(size=(n, len(COLUMNS))), columns=COLUMNS)
    frame["c"] = rng.integers(0, 5, size=n).astype(float)  # ties: thresholds between few values
    target = 3 * frame["a"] - 2 * (frame["b"] > 0.3) + frame["c"] + rng.normal(scale=0.5, size=n)
    # Missing in training: "d" is missing exactly where the target is high (the trees learn to
    # split on missing values), "a" missing at random.
    target = target + np.where(rng.random(n) < 0.15, 6.0, 0.0)
    frame.loc[target > target.quantile(0.85), "d"] = np.nan
    frame.loc[rng.random(n) < 0.1, "a"] = np.nan
    return frame, target.to_numpy()


@pytest.mark.parametrize("loss", ["absolute_error", "squared_error"])
def test_predictions_are_identical_to_scikit_learn(loss):
    train, target = generated(3000, seed=1)
    regressor = HistGradientBoostingRegressor(loss=loss, max_iter=80, max_leaf_nodes=15, random_state=0)
    regressor.fit(train, target)
    ensemble = TreeEnsemble.from_regressor(regressor, check_rows=train)

    fresh, _ = generated(2000, seed=2)
    fresh.loc[::7, "b"] = np.nan  # missing where training never had a missing "b"
    fresh.loc[::11, COLUMNS] = np.nan  # rows with nothing known
    fresh = fresh[["d", "c", "b", "a"]]  # columns in another order: read by name
    expected = regressor.predict(fresh[COLUMNS])
    got = ensemble.predict(fresh)
    assert np.array_equal(got, expected)
    # The planted structure is learned (not a constant model that would match trivially).
    assert np.std(got) > 1.0
    # The "split on nans" case occurs in these trees: threshold +inf with missing values going right.
    nodes = np.concatenate([p[0].nodes for p in regressor._predictors])
    assert np.any(np.isinf(nodes["num_threshold"]) & ~nodes["is_leaf"].astype(bool))


def test_the_ensemble_pickles_without_scikit_learn_objects():
    train, target = generated(1500, seed=3)
    regressor = HistGradientBoostingRegressor(loss="absolute_error", max_iter=30, random_state=0).fit(train, target)
    ensemble = TreeEnsemble.from_regressor(regressor)
    assert b"sklearn" not in pickle.dumps(ensemble)
    assert np.array_equal(pickle.loads(pickle.dumps(ensemble)).predict(train), regressor.predict(train))


def test_refuses_what_it_cannot_reproduce():
    train, target = generated(800, seed=4)
    poisson = HistGradientBoostingRegressor(loss="poisson", max_iter=5).fit(train, np.abs(target))
    with pytest.raises(ValueError, match="link function"):
        TreeEnsemble.from_regressor(poisson)
    ensemble = TreeEnsemble.from_regressor(
        HistGradientBoostingRegressor(loss="absolute_error", max_iter=5).fit(train, target)
    )
    with pytest.raises(KeyError, match=r"\['d'\]"):
        ensemble.predict(train.drop(columns="d"))


def test_the_conversion_check_names_a_difference(monkeypatch):
    train, target = generated(800, seed=5)
    regressor = HistGradientBoostingRegressor(loss="absolute_error", max_iter=10).fit(train, target)
    monkeypatch.setattr(TreeEnsemble, "predict", lambda self, frame: regressor.predict(frame[COLUMNS]) + 1e-9)
    with pytest.raises(AssertionError, match=r"differs from scikit-learn on 800 of 800 rows"):
        TreeEnsemble.from_regressor(regressor, check_rows=train)


def test_a_trained_points_model_predicts_without_importing_scikit_learn(tmp_path):
    from nba_assets.defs.model import points_model

    rng = np.random.default_rng(6)
    n = 1200
    dates = pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 60, size=n), unit="D")
    rows = pd.DataFrame(
        {
            "game_date": dates.date,
            "player_lookup": [f"p{i % 90}" for i in range(n)],
            "home_away": rng.choice(["HOME", "AWAY"], size=n),
        }
    )
    for column in points_model.FEATURES:
        if column != "is_home":
            rows[column] = rng.normal(10, 3, size=n)
    rows.loc[rng.random(n) < 0.5, "vegas_points_line"] = np.nan
    rows["actual_points"] = rows["points_avg_last_10"] + rng.normal(0, 4, size=n)
    model, *_ = points_model.train(rows, pd.Timestamp("2025-03-03").date())
    artifact = tmp_path / "model.pkl"
    artifact.write_bytes(pickle.dumps(model))
    features = tmp_path / "features.pkl"
    rows.head(50).to_pickle(features)
    expected = model.predict(rows.head(50))

    script = (
        "import json, pickle, sys, pandas as pd\n"
        f"model = pickle.loads(open({str(artifact)!r}, 'rb').read())\n"
        f"predicted = model.predict(pd.read_pickle({str(features)!r}))\n"
        "assert not any(name.startswith(('sklearn', 'scipy.stats')) for name in sys.modules), 'imported'\n"
        "print(json.dumps([float(value) for value in predicted]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == list(expected)  # floats round-trip exactly through JSON


def test_an_artifact_stored_before_tree_ensemble_still_predicts_the_same():
    """Artifacts of earlier versions hold scikit-learn's estimator: they predict through its
    converted trees, the same numbers as scikit-learn's own predict."""
    from nba_assets.defs.model.points_model import FEATURES, PointsModel
    from nba_assets.lib.ml_features import model_matrix

    rng = np.random.default_rng(7)
    n = 900
    rows = pd.DataFrame({column: rng.normal(12, 4, size=n) for column in FEATURES if column != "is_home"})
    rows["home_away"] = rng.choice(["HOME", "AWAY"], size=n)
    rows.loc[::3, "vegas_points_line"] = np.nan
    matrix = model_matrix(rows)
    target = matrix["points_avg_last_10"] + rng.normal(0, 3, size=n)
    regressor = HistGradientBoostingRegressor(loss="absolute_error", max_iter=40, random_state=0).fit(matrix, target)
    legacy = PointsModel(regressor, line_weight=0.4)
    current = PointsModel(TreeEnsemble.from_regressor(regressor), line_weight=0.4)
    raw = regressor.predict(matrix)
    line = rows["vegas_points_line"].to_numpy()
    expected = np.where(np.isnan(line), raw, line + 0.4 * (raw - line))
    assert np.array_equal(legacy.predict(rows), expected)
    assert np.array_equal(current.predict(rows), expected)
