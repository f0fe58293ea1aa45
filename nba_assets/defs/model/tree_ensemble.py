"""A fitted HistGradientBoostingRegressor's trees as plain numpy arrays, predicting without
scikit-learn.

Why: predicting needs only the trees, but unpickling scikit-learn's estimator imports scikit-learn,
and scikit-learn imports scipy.stats, joblib and its metrics: ~0.8 s of a one-date replay whose
budget is 10 s, to walk 129 trees of 15 leaves for ~150 players. The artifact stores this instead
(nothing but numpy arrays and this class); training still uses scikit-learn.

The predictions are bit-identical to `HistGradientBoostingRegressor.predict` (the same comparisons,
`x <= threshold` with missing values sent where each node learned, and the same summation order:
the baseline, then tree by tree). `from_regressor` checks that on the rows it is given before the
artifact is stored, and tests/test_tree_ensemble.py against scikit-learn on generated data.

The one place that reads scikit-learn's fitted internals (`_predictors`, `_baseline_prediction`,
the node record's fields): if a scikit-learn release changes them, the conversion's check and the
contract test fail, naming what differs. Numerical features only (ours: model_matrix), one tree per
iteration (a regressor) and an identity link (losses squared_error, absolute_error, quantile).

Cost: every row walks every tree one level per step (all trees at once, ~11 steps); ~35 us per row
against scikit-learn's ~3 us: a date's ~150 rows take ~5 ms, a season's ~25,000 ~0.5 s.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

# Losses whose prediction is the raw score itself (no inverse link to apply).
IDENTITY_LINK_LOSSES = {"squared_error", "absolute_error", "quantile"}


@dataclass(frozen=True)
class TreeEnsemble:
    """Nodes of all trees in flat arrays (a tree's children are indexed in the flat arrays; a leaf
    points to itself, so walking past it stays there). Missing values: each feature enters twice,
    column 2j with NaN as -inf (goes left at every split) and 2j+1 with NaN kept (NaN <= t is
    false: goes right, also at scikit-learn's "missing vs the rest" splits, whose threshold is
    +inf); a node reads the column of the side it learned for missing values."""

    feature_names: tuple[str, ...]
    baseline: float
    roots: np.ndarray  # (trees,) index of each tree's root node
    column: np.ndarray  # (nodes,) column of the doubled matrix a split reads (0 on leaves)
    threshold: np.ndarray  # (nodes,) go left when value <= threshold (+inf on leaves)
    left: np.ndarray  # (nodes,)
    right: np.ndarray  # (nodes,)
    value: np.ndarray  # (nodes,) the leaf's value (0 on splits)
    depth: int  # the deepest leaf's depth: steps a row needs to reach its leaves

    @classmethod
    def from_regressor(cls, regressor, check_rows: "pd.DataFrame | None" = None) -> "TreeEnsemble":
        """The trees of a fitted HistGradientBoostingRegressor. With `check_rows`, raises when the
        ensemble's predictions of them are not identical to the regressor's."""
        loss = getattr(regressor, "loss", None)
        if loss not in IDENTITY_LINK_LOSSES:
            raise ValueError(
                f"TreeEnsemble: loss {loss!r} has a link function; supported: {sorted(IDENTITY_LINK_LOSSES)}"
            )
        if regressor.n_trees_per_iteration_ != 1:
            raise ValueError("TreeEnsemble: one tree per iteration (a regressor) only")
        if getattr(regressor, "is_categorical_", None) is not None and np.any(regressor.is_categorical_):
            raise ValueError("TreeEnsemble: categorical features are not supported")
        trees = [predictors[0].nodes for predictors in regressor._predictors]
        ensemble = cls._from_nodes(
            tuple(str(name) for name in regressor.feature_names_in_),
            float(np.asarray(regressor._baseline_prediction).ravel()[0]),
            trees,
        )
        if check_rows is not None and len(check_rows):
            expected = regressor.predict(check_rows[list(ensemble.feature_names)])
            got = ensemble.predict(check_rows)
            differ = np.flatnonzero(got != expected)
            if len(differ):
                row = int(differ[0])
                raise AssertionError(
                    f"TreeEnsemble differs from scikit-learn on {len(differ)} of {len(got)} rows "
                    f"(row {row}: {got[row]!r} vs {expected[row]!r}): scikit-learn's tree layout changed"
                )
        return ensemble

    @classmethod
    def _from_nodes(cls, feature_names: tuple[str, ...], baseline: float, trees: list) -> "TreeEnsemble":
        offsets = np.cumsum([0] + [len(nodes) for nodes in trees[:-1]]).astype(np.int64)
        nodes = np.concatenate(trees) if trees else np.zeros(0, dtype=[("is_leaf", "u1")])
        index = np.arange(len(nodes), dtype=np.int64)
        shift = np.repeat(offsets, [len(tree) for tree in trees])
        leaf = nodes["is_leaf"].astype(bool)
        missing_left = nodes["missing_go_to_left"].astype(bool)
        column = 2 * nodes["feature_idx"].astype(np.int64) + np.where(missing_left, 0, 1)
        return cls(
            feature_names=feature_names,
            baseline=baseline,
            roots=offsets,
            column=np.where(leaf, 0, column),
            threshold=np.where(leaf, np.inf, nodes["num_threshold"].astype(float)),
            left=np.where(leaf, index, nodes["left"].astype(np.int64) + shift),
            right=np.where(leaf, index, nodes["right"].astype(np.int64) + shift),
            value=np.where(leaf, nodes["value"].astype(float), 0.0),
            depth=int(nodes["depth"].max()) if len(nodes) else 0,
        )

    def predict(self, frame: "pd.DataFrame") -> np.ndarray:
        """Predictions for the rows of `frame` (columns by name; NaN where a value is missing)."""
        missing = [name for name in self.feature_names if name not in frame.columns]
        if missing:
            raise KeyError(f"TreeEnsemble: input lacks the model's features {missing}")
        values = frame[list(self.feature_names)].to_numpy(dtype=float, na_value=np.nan)
        n = len(values)
        doubled = np.empty((n, 2 * values.shape[1]))
        doubled[:, 0::2] = np.where(np.isnan(values), -np.inf, values)
        doubled[:, 1::2] = values  # NaN <= anything is False: right
        flat = doubled.ravel()
        row_start = (np.arange(n, dtype=np.int64) * doubled.shape[1])[:, None]
        node = np.broadcast_to(self.roots, (n, len(self.roots)))
        for _ in range(self.depth):
            goes_left = flat[row_start + self.column[node]] <= self.threshold[node]
            node = np.where(goes_left, self.left[node], self.right[node])
        leaves = self.value[node]
        # scikit-learn's order: the baseline, then each tree's value added in turn.
        predicted = np.full(n, self.baseline)
        for tree in range(leaves.shape[1]):
            predicted += leaves[:, tree]
        return predicted
