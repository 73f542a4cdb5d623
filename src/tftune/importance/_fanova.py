"""fANOVA (Hutter, Hoos and Leyton-Brown, ICML 2014) over a random forest, exactly.

A regression tree is constant on each leaf's box, so under the uniform measure on the search
space its variance, and the variance of its marginal in one parameter, are sums over leaves.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tftune.importance._forest import Features, ForestImportanceEvaluator


class FanovaImportanceEvaluator(ForestImportanceEvaluator):
    """The share of the objective's variance each parameter explains alone (its main effect),
    averaged over the trees of a random forest (``n_trees`` trees of depth up to ``max_depth``,
    seeded by ``seed``) fitted on the complete trials. Needs scikit-learn.

    Each tree's variance decomposition is exact: leaves are boxes, the marginal in a parameter
    is a step function over the tree's split points, and both variances are weighted sums over
    leaves (vectorised). Conditional parameters are left out unless named in ``params`` (as
    in Optuna; see ``tftune.importance._forest``).
    """

    label = "fANOVA"

    def importances(self, forest: Any, data: Features) -> np.ndarray:
        shares = [tree_main_effects(tree.tree_, data.low, data.high) for tree in forest]
        return np.asarray(np.mean(shares, axis=0))


def leaf_boxes(tree: Any, low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, ...]:
    """Lower and upper corners of every leaf's box (clipped to the domain), and leaf values.

    Nodes are visited a depth at a time, so the work is a few array operations per level.
    """
    left, right = tree.children_left, tree.children_right
    feature, threshold = tree.feature, tree.threshold
    lows = np.empty((tree.node_count, len(low)))
    highs = np.empty((tree.node_count, len(low)))
    lows[0], highs[0] = low, high
    level = np.array([0])
    while len(level):
        split = level[left[level] != -1]
        if not len(split):
            break
        f, t = feature[split], np.clip(threshold[split], low[feature[split]], high[feature[split]])
        children_left, children_right = left[split], right[split]
        lows[children_left] = lows[split]
        highs[children_left] = highs[split]
        highs[children_left, f] = np.minimum(highs[split, f], t)
        lows[children_right] = lows[split]
        highs[children_right] = highs[split]
        lows[children_right, f] = np.maximum(lows[split, f], t)
        level = np.concatenate((children_left, children_right))
    leaves = left == -1
    return lows[leaves], highs[leaves], tree.value[leaves, 0, 0]


def tree_main_effects(tree: Any, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Each parameter's main-effect variance over the tree's total variance (0 if constant)."""
    leaf_low, leaf_high, value = leaf_boxes(tree, low, high)
    span = high - low
    fractions = (leaf_high - leaf_low) / span  # (leaves, params)
    weight = np.prod(fractions, axis=1)
    mean = float(weight @ value)
    total = float(weight @ (value - mean) ** 2)
    shares = np.zeros(len(low))
    if total <= 1e-14 * max(1.0, mean * mean):
        return shares
    for d in range(len(low)):
        if np.all(fractions[:, d] == 1.0):
            continue  # the tree never splits on it: its marginal is flat
        cuts = np.unique(np.concatenate((leaf_low[:, d], leaf_high[:, d])))
        start = np.searchsorted(cuts, leaf_low[:, d])
        stop = np.searchsorted(cuts, leaf_high[:, d])
        # weight of the other parameters' extent times the value, spread over the leaf's cells
        others = np.divide(
            weight, fractions[:, d], out=np.zeros_like(weight), where=fractions[:, d] > 0
        )
        contribution = value * others
        steps = np.zeros(len(cuts))
        np.add.at(steps, start, contribution)
        np.add.at(steps, stop, -contribution)
        marginal = np.cumsum(steps)[:-1]
        widths = np.diff(cuts) / span[d]
        shares[d] = float(widths @ (marginal - mean) ** 2) / total
    return shares
