"""Mean decrease in impurity: how much a random forest's splits on a parameter reduce error."""

from __future__ import annotations

from typing import Any

import numpy as np

from tftune.importance._forest import Features, ForestImportanceEvaluator


class MeanDecreaseImpurityImportanceEvaluator(ForestImportanceEvaluator):
    """scikit-learn's ``feature_importances_`` of a random forest (``n_trees`` trees of depth up
    to ``max_depth``, seeded by ``seed``) fitted on the complete trials. Needs scikit-learn.

    Conditional parameters are left out unless named in ``params`` (as in Optuna; see
    ``tftune.importance._forest``).
    """

    label = "Mean decrease impurity"

    def importances(self, forest: Any, data: Features) -> np.ndarray:
        return np.asarray(forest.feature_importances_)
