"""Mean decrease in impurity: how much a random forest's splits on a parameter reduce error."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from tftune.importance._base import (
    BaseImportanceEvaluator,
    prepared_trials,
    sorted_importances,
    warn_too_few,
)
from tftune.importance._forest import check_forest_arguments, features, fit_forest
from tftune.study._target import Target

if TYPE_CHECKING:
    from tftune.study._study import Study


class MeanDecreaseImpurityImportanceEvaluator(BaseImportanceEvaluator):
    """scikit-learn's ``feature_importances_`` of a random forest (``n_trees`` trees of depth up
    to ``max_depth``, seeded by ``seed``) fitted on the complete trials. Needs scikit-learn.

    Conditional parameters are judged by their values where they exist (absent ones are filled
    at random, see ``tftune.importance._forest``).
    """

    def __init__(self, *, n_trees: int = 64, max_depth: int = 64, seed: int | None = None) -> None:
        check_forest_arguments(n_trees, max_depth, seed)
        self.n_trees, self.max_depth, self.seed = n_trees, max_depth, seed

    def evaluate(
        self,
        study: Study,
        params: Sequence[str] | None = None,
        *,
        target: Target | None = None,
    ) -> dict[str, float]:
        trials, names, values = prepared_trials(study, params, target, "Mean decrease impurity")
        if len(trials) < 2:
            warn_too_few(study, len(trials), 2, "Mean decrease impurity")
            return dict.fromkeys(names, 0.0)
        data = features(trials, names, self.seed)
        importances = np.zeros(len(names))
        if data.varies.any():
            forest = fit_forest(
                data.x, values, n_trees=self.n_trees, max_depth=self.max_depth, seed=self.seed
            )
            importances = forest.feature_importances_
        return sorted_importances(dict(zip(names, np.asarray(importances).tolist(), strict=True)))
